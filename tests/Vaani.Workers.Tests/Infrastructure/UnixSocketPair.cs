using System.Net.Sockets;

namespace Vaani.Workers.Tests.Infrastructure;

/// <summary>Two connected Unix stream sockets, as a gateway and its worker use them.</summary>
internal static class UnixSocketPair
{
    /// <summary>
    /// Connects a client to a listener bound in <paramref name="directory"/> (the socket file is
    /// removed once connected). <paramref name="bufferBytes"/> shrinks the client's send and the
    /// server's receive buffer, so a test can fill them with a few frames.
    /// </summary>
    public static (Socket Client, Socket Server) Connect(string directory, int? bufferBytes = null)
    {
        var path = Path.Combine(directory, $"{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        var server = listener.Accept();
        if (bufferBytes is { } size) { client.SendBufferSize = size; server.ReceiveBufferSize = size; }
        File.Delete(path);
        return (client, server);
    }
}
