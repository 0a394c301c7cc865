using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Vaani.Gateway.Realtime;
using Vaani.Gateway.Tests.Infrastructure;
using Vaani.Gateway.Transport;
using Vaani.Workers.Net;

namespace Vaani.Gateway.Tests.Realtime;

/// <summary>
/// <see cref="ClientSocket.ReceiveAsync"/> on a real loopback TCP connection, against each server
/// WebSocket the endpoints can be handed: the runtime's own (Kestrel's WebSocket middleware) and
/// <see cref="DirectWebSocket"/> on the event loop, whose messages take the synchronous fast path.
/// The peer is the runtime's client WebSocket.
/// </summary>
public abstract class ClientSocketReceiveTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private WebSocket _server = null!;
    private WebSocket _peer = null!;
    private ClientSocket _socket = null!;
    private TcpClient _accepted = null!;
    private NetworkStream _peerStream = null!; // under _peer: for frames written by hand (the peer WebSocket then sends nothing)

    /// <summary>The server side of the accepted connection.</summary>
    protected abstract WebSocket CreateServer(TcpClient accepted);

    public async Task InitializeAsync()
    {
        var pair = await LoopbackTcpPair.ConnectAsync();
        var connect = pair.Client;
        _accepted = pair.Server;
        _server = CreateServer(_accepted);
        _peerStream = connect.GetStream();
        _peer = WebSocket.CreateFromStream(_peerStream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        _socket = new ClientSocket(_server, maxQueuedMessages: 8);
    }

    public async Task DisposeAsync()
    {
        _peer.Abort();
        _server.Abort();
        await _socket.DisposeAsync();
        _peer.Dispose();
        _server.Dispose();
        _accepted.Dispose();
    }

    /// <summary>The socket under test.</summary>
    protected ClientSocket Socket => _socket;

    /// <summary>The client end (the runtime's client WebSocket).</summary>
    protected WebSocket Peer => _peer;

    protected Task<(WebSocketMessageType Type, ReadOnlyMemory<byte> Payload)?> ReceiveAsync(MessageBuffer buffer, int maxBytes = 256 * 1024, int maxTextBytes = 64 * 1024) =>
        _socket.ReceiveAsync(buffer, maxBytes, maxTextBytes, CancellationToken.None).AsTask().WaitAsync(Timeout);

    [Fact]
    public async Task ReceiveAsync_MessageLargerThanInitialBufferInFragments_ReadsWholeMessage()
    {
        var audio = new byte[100_000];
        new Random(7).NextBytes(audio);
        using var buffer = new MessageBuffer();
        var receiving = ReceiveAsync(buffer);
        // Three frames of one message, the first smaller than the buffer's first size, the others larger.
        await _peer.SendAsync(audio.AsMemory(0, 1000), WebSocketMessageType.Binary, endOfMessage: false, CancellationToken.None);
        await _peer.SendAsync(audio.AsMemory(1000, 60_000), WebSocketMessageType.Binary, endOfMessage: false, CancellationToken.None);
        await _peer.SendAsync(audio.AsMemory(61_000), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

        var message = await receiving;
        Assert.NotNull(message);
        Assert.Equal(WebSocketMessageType.Binary, message.Value.Type);
        Assert.True(message.Value.Payload.Span.SequenceEqual(audio));
        Assert.True(buffer.Capacity > MessageBuffer.InitialSize);

        // The next message (text, small) is read whole into a fresh, small buffer.
        var json = Encoding.UTF8.GetBytes("""{"type":"keepalive"}""");
        await _peer.SendAsync(json, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        message = await ReceiveAsync(buffer);
        Assert.Equal(WebSocketMessageType.Text, message!.Value.Type);
        Assert.Equal("""{"type":"keepalive"}""", Encoding.UTF8.GetString(message.Value.Payload.Span));
        Assert.Equal(MessageBuffer.InitialSize, buffer.Capacity);
    }

    [Fact]
    public async Task ReceiveAsync_WaitingForNextMessage_HoldsNoBuffer()
    {
        using var buffer = new MessageBuffer();
        await _peer.SendAsync(new byte[640], WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        var first = await ReceiveAsync(buffer);
        Assert.Equal(640, first!.Value.Payload.Length);
        Assert.True(buffer.Capacity > 0);

        var waiting = ReceiveAsync(buffer);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(0, buffer.Capacity);

        await _peer.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        var second = await waiting;
        Assert.Equal(new byte[] { 1, 2, 3 }, second!.Value.Payload.ToArray());
    }

    [Fact]
    public async Task ReceiveAsync_EmptyMessage_ReturnsEmptyPayload()
    {
        using var buffer = new MessageBuffer();
        await _peer.SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        var message = await ReceiveAsync(buffer);
        Assert.Equal(WebSocketMessageType.Binary, message!.Value.Type);
        Assert.True(message.Value.Payload.IsEmpty);
        Assert.Equal(0, buffer.Capacity);
    }

    [Theory]
    [InlineData(WebSocketMessageType.Binary, 10_001)]
    [InlineData(WebSocketMessageType.Text, 2_001)]
    public async Task ReceiveAsync_MessageOverLimit_ThrowsMessageTooLargeWithBoundedBuffer(WebSocketMessageType type, int size)
    {
        using var buffer = new MessageBuffer();
        var receiving = ReceiveAsync(buffer, maxBytes: 10_000, maxTextBytes: 2_000);
        var payload = new byte[size];
        payload.AsSpan().Fill((byte)'a');
        await _peer.SendAsync(payload, type, endOfMessage: true, CancellationToken.None);

        var ex = await Assert.ThrowsAsync<MessageTooLargeException>(() => receiving);
        Assert.Equal(type == WebSocketMessageType.Text ? 2_000 : 10_000, ex.Limit);
        // Never grown past the limit plus one byte (rounded up to the pool's power of two).
        Assert.InRange(buffer.Capacity, 1, type == WebSocketMessageType.Text ? 4096 : 16384);
    }

    [Fact]
    public async Task ReceiveAsync_MessageAtLimit_IsAccepted()
    {
        using var buffer = new MessageBuffer();
        var receiving = ReceiveAsync(buffer, maxBytes: 10_000);
        await _peer.SendAsync(new byte[10_000], WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        Assert.Equal(10_000, (await receiving)!.Value.Payload.Length);
    }

    [Fact]
    public async Task ReceiveAsync_CloseFrame_ReturnsNull()
    {
        using var buffer = new MessageBuffer();
        var receiving = ReceiveAsync(buffer);
        await _peer.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        Assert.Null(await receiving);
    }

    /// <summary>Many messages arrive before the first receive (one read may carry all of them): each comes out whole, in order.</summary>
    [Fact]
    public async Task ReceiveAsync_ManyMessagesQueued_EachWholeInOrder()
    {
        using var buffer = new MessageBuffer();
        for (int i = 0; i < 50; i++)
            await _peer.SendAsync(Enumerable.Repeat((byte)i, 640 + i).ToArray(), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        for (int i = 0; i < 50; i++)
        {
            var message = await ReceiveAsync(buffer);
            Assert.Equal(640 + i, message!.Value.Payload.Length);
            Assert.All(message.Value.Payload.ToArray(), b => Assert.Equal((byte)i, b));
        }
    }

    /// <summary>
    /// A ping between the fragments of a message is answered, and the message still comes out whole
    /// (on <see cref="DirectWebSocket"/> the fast path hands the ping to the general path, which then
    /// finishes the message the fast path began).
    /// </summary>
    [Fact]
    public async Task ReceiveAsync_PingBetweenFragments_AnsweredAndMessageWhole()
    {
        var stream = _peerStream;
        using var buffer = new MessageBuffer();
        var receiving = ReceiveAsync(buffer);
        var part1 = Encoding.UTF8.GetBytes("""{"type":""");
        var part2 = Encoding.UTF8.GetBytes(""" "finalize"}""");
        await stream.WriteAsync(ClientFrame.Encode(0x1, part1, fin: false));
        await stream.WriteAsync(ClientFrame.Encode(0x9, "hi"u8));
        await stream.WriteAsync(ClientFrame.Encode(0x0, part2));

        var message = await receiving;
        Assert.Equal(WebSocketMessageType.Text, message!.Value.Type);
        Assert.Equal("""{"type": "finalize"}""", Encoding.UTF8.GetString(message.Value.Payload.Span));
        // The pong, unmasked from the server: 0x8A, length 2, "hi".
        var pong = new byte[4];
        await stream.ReadExactlyAsync(pong).AsTask().WaitAsync(Timeout);
        Assert.Equal(new byte[] { 0x8A, 2, (byte)'h', (byte)'i' }, pong);
    }
}

public sealed class ClientSocketReceiveOnRuntimeWebSocketTests : ClientSocketReceiveTests
{
    protected override WebSocket CreateServer(TcpClient accepted) =>
        WebSocket.CreateFromStream(accepted.GetStream(), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });

    [Fact]
    public async Task HandleBinaryInline_OnRuntimeWebSocket_NotTakenAndMessagesComeFromReceive()
    {
        var handled = 0;
        Assert.False(Socket.HandleBinaryInline(_ => { handled++; return true; }));
        using var buffer = new MessageBuffer();
        var receiving = ReceiveAsync(buffer);
        await Peer.SendAsync(new byte[] { 4, 5 }, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        Assert.Equal(new byte[] { 4, 5 }, (await receiving)!.Value.Payload.ToArray());
        Assert.Equal(0, handled);
    }
}

public sealed class ClientSocketReceiveOnDirectWebSocketTests : ClientSocketReceiveTests
{
    protected override WebSocket CreateServer(TcpClient accepted) =>
        new DirectWebSocket(EventLoop.Shared(1)!.Watch(accepted.Client, writes: true), null, TimeSpan.Zero);

    /// <summary>
    /// Binary messages that arrive while a receive waits go to the handler, on the event loop's
    /// thread, in order, and the receive stays pending; the next text message completes it.
    /// </summary>
    [Fact]
    public async Task HandleBinaryInline_BinaryWhileWaiting_HandledOnLoopInOrderReceiveGetsText()
    {
        var seen = new List<byte[]>();
        var onLoop = true;
        Assert.True(Socket.HandleBinaryInline(payload =>
        {
            onLoop &= EventLoop.Current is not null;
            lock (seen) seen.Add(payload.ToArray());
            return true;
        }));
        using var buffer = new MessageBuffer();
        var receiving = ReceiveAsync(buffer);
        for (byte i = 1; i <= 20; i++)
            await Peer.SendAsync(Enumerable.Repeat(i, 640).ToArray(), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        await Peer.SendAsync("""{"type":"finalize"}"""u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        var message = await receiving;
        Assert.Equal(WebSocketMessageType.Text, message!.Value.Type);
        Assert.Equal("""{"type":"finalize"}""", Encoding.UTF8.GetString(message.Value.Payload.Span));
        Assert.True(onLoop, "the handler ran off the event loop's thread");
        lock (seen)
        {
            Assert.Equal(20, seen.Count);
            for (int i = 0; i < 20; i++) Assert.All(seen[i], b => Assert.Equal((byte)(i + 1), b));
        }
    }

    /// <summary>
    /// A handler that returns false completes the waiting receive with an empty binary message, once;
    /// the messages after it come from the next receives (or the handler, while one waits), every
    /// one once and in order.
    /// </summary>
    [Fact]
    public async Task HandleBinaryInline_HandlerAsksToStop_ReceiveCompletesEmptyAndNothingLost()
    {
        var order = new List<byte>();
        int calls = 0;
        Socket.HandleBinaryInline(payload =>
        {
            lock (order) order.Add(payload.Span[0]);
            return Interlocked.Increment(ref calls) != 3;
        });
        using var buffer = new MessageBuffer();
        var receiving = ReceiveAsync(buffer);
        for (byte i = 1; i <= 10; i++)
            await Peer.SendAsync(new[] { i }, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        await Peer.SendAsync("end"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        var first = await receiving;
        Assert.Equal(WebSocketMessageType.Binary, first!.Value.Type);
        Assert.True(first.Value.Payload.IsEmpty);
        while (true)
        {
            var message = await ReceiveAsync(buffer);
            if (message!.Value.Type == WebSocketMessageType.Text) break;
            Assert.False(message.Value.Payload.IsEmpty, "a second empty message: the stop was reported twice");
            lock (order) order.Add(message.Value.Payload.Span[0]);
        }
        lock (order) Assert.Equal(Enumerable.Range(1, 10).Select(i => (byte)i), order);
        Assert.True(calls >= 3);
    }

    [Fact]
    public async Task HandleBinaryInline_HandlerThrows_ReceiveFaultsWithIt()
    {
        Socket.HandleBinaryInline(_ => throw new InvalidDataException("bad audio"));
        using var buffer = new MessageBuffer();
        var receiving = ReceiveAsync(buffer);
        await Peer.SendAsync(new byte[] { 1 }, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => receiving);
        Assert.Equal("bad audio", ex.Message);
    }

    [Fact]
    public async Task HandleBinaryInline_Cleared_MessagesComeFromReceiveAgain()
    {
        var handled = 0;
        Socket.HandleBinaryInline(_ => { handled++; return true; });
        Socket.HandleBinaryInline(null);
        using var buffer = new MessageBuffer();
        var receiving = ReceiveAsync(buffer);
        await Peer.SendAsync(new byte[] { 9 }, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        Assert.Equal(new byte[] { 9 }, (await receiving)!.Value.Payload.ToArray());
        Assert.Equal(0, handled);
    }
}

public sealed class ClientSocketLifetimeTests
{
    /// <summary>
    /// A close whose handshake the peer never completes arms an abort timer for the flush timeout
    /// (30 s by default). Once the socket is disposed (its handler is done), nothing may keep it
    /// alive for that long: under churn every closed socket would otherwise stay in memory.
    /// </summary>
    [Fact]
    public async Task DisposeAsync_AfterCloseThePeerNeverAnswers_SocketIsCollectable()
    {
        using var pair = await LoopbackTcpPair.ConnectAsync();
        // The peer is a bare TCP client: it never reads, so it never answers the close frame.
        var weak = await CloseAndDisposeAsync(pair.Server.GetStream());

        for (int i = 0; i < 20 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(50);
        }
        Assert.False(weak.IsAlive, "a disposed ClientSocket is still referenced (by a pending close timer)");
    }

    /// <summary>
    /// Once the connection is gone nothing more is queued: sends report false at once, and a queue
    /// that stopped taking messages because of that is not mistaken for a client that stopped reading.
    /// </summary>
    [Fact]
    public async Task SendAfterAbort_RefusedAtOnce_NotTakenForASlowReader()
    {
        using var pair = await LoopbackTcpPair.ConnectAsync();
        using var server = WebSocket.CreateFromStream(pair.Server.GetStream(), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        await using var socket = new ClientSocket(server, maxQueuedMessages: 2);

        socket.Abort();

        Assert.True(socket.Aborted.IsCancellationRequested);
        for (int i = 0; i < 4; i++) Assert.False(socket.TrySendJson(new { type = "partial", i }));
        Assert.False(await socket.SendJsonAsync(new { type = "final" }, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(socket.ClosedAsSlowReader);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> CloseAndDisposeAsync(Stream stream)
    {
        var server = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        var socket = new ClientSocket(server, maxQueuedMessages: 8);
        await socket.CloseAsync(CloseCodes.Normal, "done", "done", TimeSpan.FromSeconds(30)).WaitAsync(TimeSpan.FromSeconds(10));
        await socket.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return new WeakReference(socket);
    }
}
