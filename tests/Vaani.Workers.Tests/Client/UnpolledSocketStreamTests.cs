using System.Net.Sockets;
using System.Security.Cryptography;
using Vaani.Workers.Client;

namespace Vaani.Workers.Tests.Client;

public sealed class UnpolledSocketStreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vaani-unpolled-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A connected pair: (client wrapped in the stream under test, accepted server socket).</summary>
    private (UnpolledSocketStream Client, Socket Server) Pair()
    {
        var path = Path.Combine(_dir, "s.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        var server = listener.Accept();
        File.Delete(path);
        return (new UnpolledSocketStream(client), server);
    }

    [Fact]
    public async Task WriteAsync_MoreThanTheSocketBuffers_EveryByteArrivesInOrder()
    {
        var (client, server) = Pair();
        using var _ = server;
        await using var __ = client;
        // Far more than a Unix socket buffers (~200 KiB): the writer must hit "would block" and wait.
        var data = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        var received = new MemoryStream();
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[7919];
            using var peer = new NetworkStream(server, ownsSocket: false);
            int n;
            while ((n = await peer.ReadAsync(buffer)) > 0)
            {
                received.Write(buffer, 0, n);
                if (received.Length % (1024 * 1024) < 7919) await Task.Delay(5); // a slow reader
            }
        });
        for (int offset = 0; offset < data.Length; offset += 100_000)
            await client.WriteAsync(data.AsMemory(offset, Math.Min(100_000, data.Length - offset)));
        server.Shutdown(SocketShutdown.Receive);
        client.Dispose(); // shuts the socket down: the peer reads to the end
        await reader.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(data.Length, received.Length);
        Assert.True(data.AsSpan().SequenceEqual(received.ToArray()), "bytes arrived out of order or corrupted");
    }

    [Fact]
    public async Task ReadAsync_PeerSendsLater_WaitsThenReturnsTheBytes_AndZeroAtEnd()
    {
        var (client, server) = Pair();
        using var _ = server;
        await using var __ = client;
        var read = Task.Run(async () =>
        {
            var buffer = new byte[16];
            int n = await client.ReadAsync(buffer);
            int end = await client.ReadAsync(buffer.AsMemory(n));
            return (buffer[..n], end);
        });
        await Task.Delay(300); // the reader is now waiting in poll(2)
        Assert.False(read.IsCompleted);
        server.Send("hello"u8);
        server.Shutdown(SocketShutdown.Send);
        var (bytes, endOfStream) = await read.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("hello"u8.ToArray(), bytes);
        Assert.Equal(0, endOfStream);
    }

    [Fact]
    public async Task ReadAsync_Cancelled_ThrowsWithoutData()
    {
        var (client, server) = Pair();
        using var _ = server;
        await using var __ = client;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var read = Task.Run(async () => await client.ReadAsync(new byte[16], cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
