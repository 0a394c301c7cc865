using System.Net;
using System.Net.Sockets;

namespace Vaani.Gateway.Tests.Infrastructure;

/// <summary>Two connected TCP sockets on 127.0.0.1, as a client and the gateway hold them.</summary>
internal sealed class LoopbackTcpPair(TcpClient client, TcpClient server) : IDisposable
{
    public TcpClient Client { get; } = client;

    /// <summary>The accepted side.</summary>
    public TcpClient Server { get; } = server;

    /// <summary>Connects a client to a listener on 127.0.0.1 port 0.</summary>
    public static async Task<LoopbackTcpPair> ConnectAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        var accepting = listener.AcceptTcpClientAsync();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        return new LoopbackTcpPair(client, await accepting);
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
