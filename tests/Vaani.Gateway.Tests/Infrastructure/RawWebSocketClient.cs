using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Vaani.Gateway.Tests.Infrastructure;

/// <summary>
/// A minimal WebSocket client on a raw socket with a tiny receive buffer that never reads after
/// the handshake: a client that has stopped reading (ClientWebSocket cannot shrink its buffers,
/// and loopback buffers can absorb tens of megabytes).
/// </summary>
internal sealed class RawWebSocketClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };

    public static async Task<RawWebSocketClient> ConnectAsync(Uri baseUri, string path)
    {
        var c = new RawWebSocketClient();
        await c._socket.ConnectAsync(baseUri.Host, baseUri.Port);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        await c._socket.SendAsync(Encoding.ASCII.GetBytes(
            $"GET {path} HTTP/1.1\r\nHost: {baseUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var buffer = new byte[1024];
        int n = await c._socket.ReceiveAsync(buffer);
        var head = Encoding.ASCII.GetString(buffer, 0, n);
        if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal)) throw new InvalidOperationException("handshake failed: " + head);
        return c;
    }

    /// <summary>Sends one masked text frame.</summary>
    public Task<int> SendTextAsync(string text) => _socket.SendAsync(ClientFrame.Encode(0x1, Encoding.UTF8.GetBytes(text)));

    /// <summary>Reads and discards until the server closes or resets the connection; false on timeout.</summary>
    public async Task<bool> DrainUntilClosedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[65536];
        try
        {
            while (await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0) { }
            return true;
        }
        catch (SocketException) { return true; }
        catch (OperationCanceledException) { return false; }
    }

    public void Dispose() => _socket.Dispose();
}
