using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Vaani.Gateway.Realtime;

/// <summary>
/// One client WebSocket with a bounded outbound queue drained by a single sender loop.
/// Streaming producers (<see cref="SendJsonAsync"/>, <see cref="SendBinaryAsync"/>) wait for room,
/// which absorbs bursts; a queue that stays full for the slow-reader timeout means the client has
/// stopped reading, and it is closed with a clear reason instead of letting memory grow. Small
/// control messages use the non-waiting <see cref="TrySendJson"/>.
/// </summary>
public sealed class ClientSocket : IAsyncDisposable
{
    private readonly WebSocket _socket;
    private readonly Channel<Outbound> _outbound;
    private readonly CancellationTokenSource _abort = new();
    private readonly CancellationTokenSource _disposed = new(); // ends timers that would otherwise keep this socket alive
    private readonly Task _sender;
    private int _closing;

    private readonly TimeSpan _slowReaderTimeout;

    public ClientSocket(WebSocket socket, int maxQueuedMessages, TimeSpan? slowReaderTimeout = null)
    {
        _socket = socket;
        _slowReaderTimeout = slowReaderTimeout ?? TimeSpan.FromSeconds(5);
        _outbound = Channel.CreateBounded<Outbound>(new BoundedChannelOptions(maxQueuedMessages)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
            // The idle sender loop resumes on the producer's thread and sends at once.
            AllowSynchronousContinuations = true,
        });
        _sender = Task.Run(SendLoopAsync);
        // Whatever ends the connection (Abort, a failed send) also ends a receive waiting on the socket.
        _abort.Token.UnsafeRegister(static s => ((WebSocket)s!).Abort(), socket);
    }

    /// <summary>Cancelled when the connection is gone (closed, aborted or the client stopped reading).</summary>
    public CancellationToken Aborted => _abort.Token;

    /// <summary>Set when the socket was closed because the client stopped reading.</summary>
    public bool ClosedAsSlowReader { get; private set; }

    /// <summary>Queues a JSON message. Returns false (and starts a 1008 close) when the client is not reading.</summary>
    public bool TrySendJson<T>(T message)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message, GatewayJson.Options);
        return TryEnqueue(new Outbound(bytes, WebSocketMessageType.Text));
    }

    /// <summary>Queues a binary message.</summary>
    public bool TrySendBinary(ReadOnlyMemory<byte> payload) => TryEnqueue(new Outbound(payload, WebSocketMessageType.Binary));

    /// <summary>
    /// Queues a JSON message, waiting while the queue is full. Returns false when the socket is
    /// closing, or when the queue stayed full for the slow-reader timeout (the socket is then
    /// closed with 1008 <c>slow_reader</c>).
    /// </summary>
    public ValueTask<bool> SendJsonAsync<T>(T message, CancellationToken cancellationToken) =>
        EnqueueAsync(new Outbound(JsonSerializer.SerializeToUtf8Bytes(message, GatewayJson.Options), WebSocketMessageType.Text), cancellationToken);

    /// <summary>Queues a binary message, waiting while the queue is full (see <see cref="SendJsonAsync"/>).</summary>
    public ValueTask<bool> SendBinaryAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        EnqueueAsync(new Outbound(payload, WebSocketMessageType.Binary), cancellationToken);

    private async ValueTask<bool> EnqueueAsync(Outbound message, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _closing) != 0) return false;
        if (_outbound.Writer.TryWrite(message)) return true;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        wait.CancelAfter(_slowReaderTimeout);
        try
        {
            await _outbound.Writer.WriteAsync(message, wait.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_abort.IsCancellationRequested)
        {
            ClosedAsSlowReader = true;
            _ = CloseAsync(CloseCodes.BadInput, "slow_reader", $"the client is not reading: its outbound buffer stayed full for {_slowReaderTimeout.TotalSeconds:0.#} s", TimeSpan.FromSeconds(2));
            return false;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            return false;
        }
    }

    private bool TryEnqueue(Outbound message)
    {
        if (Volatile.Read(ref _closing) != 0) return false;
        if (_outbound.Writer.TryWrite(message)) return true;
        ClosedAsSlowReader = true;
        _ = CloseAsync(CloseCodes.BadInput, "slow_reader", "the client is not reading: its outbound buffer is full", TimeSpan.FromSeconds(2));
        return false;
    }

    /// <summary>
    /// Reads one whole message up to <paramref name="maxBytes"/> (<paramref name="maxTextBytes"/> for
    /// text) into <paramref name="buffer"/>; the payload stays valid until the next call. Returns null
    /// on a close frame. Throws <see cref="MessageTooLargeException"/> when the message is larger.
    /// Cancelling <paramref name="ct"/> aborts the socket.
    /// </summary>
    public async ValueTask<(WebSocketMessageType Type, ReadOnlyMemory<byte> Payload)?> ReceiveAsync(MessageBuffer buffer, int maxBytes, int maxTextBytes, CancellationToken ct)
    {
        // Wait for the next message without a buffer (a zero-byte receive returns once its header has
        // arrived): an idle connection holds no receive buffer, only the pool's arrays in use do.
        buffer.Release();
        if (_socket is Transport.DirectWebSocket direct)
        {
            // Data frames are read synchronously; the only suspension is the wait on the event loop.
            // It takes no token: cancelling _abort aborts the socket (constructor), which ends it.
            using var cancel = ct == _abort.Token || !ct.CanBeCanceled ? default : ct.UnsafeRegister(static s => ((ClientSocket)s!).Abort(), this);
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var step = direct.TryReceiveMessage(buffer, maxBytes, maxTextBytes, out var type);
                if (step == Transport.DirectWebSocket.ReceiveStep.Message) return (type, buffer.WrittenMemory);
                if (step == Transport.DirectWebSocket.ReceiveStep.Other) break;
                await direct.WaitForDataAsync().ConfigureAwait(false);
            }
        }
        // The general path, also for what the fast path leaves to it (control frames, errors): it
        // continues a message the fast path began, after the bytes already in the buffer.
        var result = await _socket.ReceiveAsync(Memory<byte>.Empty, ct).ConfigureAwait(false);
        while (true)
        {
            if (result.MessageType == WebSocketMessageType.Close) return null;
            buffer.Advance(result.Count);
            int limit = result.MessageType == WebSocketMessageType.Text ? maxTextBytes : maxBytes;
            if (buffer.WrittenCount > limit)
                throw new MessageTooLargeException(result.MessageType, limit);
            if (result.EndOfMessage) return (result.MessageType, buffer.WrittenMemory);
            result = await _socket.ReceiveAsync(buffer.GetMemory(limit), ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends an error event then closes: the queue is flushed first (bounded by <paramref name="flushTimeout"/>),
    /// then the close handshake is started; a client that does not answer is aborted.
    /// </summary>
    public Task CloseWithErrorAsync(WebSocketCloseStatus status, string code, string message, TimeSpan flushTimeout)
    {
        _outbound.Writer.TryWrite(new Outbound(JsonSerializer.SerializeToUtf8Bytes(new { type = "error", code, message }, GatewayJson.Options), WebSocketMessageType.Text));
        return CloseAsync(status, code, message, flushTimeout);
    }

    /// <summary>Flushes queued messages (bounded by <paramref name="flushTimeout"/>) and closes with <paramref name="status"/>.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string code, string description, TimeSpan flushTimeout)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0) { await WaitSenderAsync(flushTimeout).ConfigureAwait(false); return; }
        _outbound.Writer.TryComplete();
        if (!await WaitSenderAsync(flushTimeout).ConfigureAwait(false) || ClosedAsSlowReader && status != CloseCodes.BadInput)
        {
            Abort();
            return;
        }
        // A peer that does not complete the close handshake in time (e.g. it stopped reading)
        // is aborted, so nothing waits on it forever.
        _ = AbortUnlessClosedAsync(flushTimeout);
        try
        {
            using var cts = new CancellationTokenSource(flushTimeout);
            var reason = Truncate(code == description ? description : $"{code}: {description}", 120);
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await _socket.CloseOutputAsync(status, reason, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            Abort();
        }
    }

    private async Task AbortUnlessClosedAsync(TimeSpan timeout)
    {
        // Ends early on dispose: once the handler is done the server tears the connection down anyway,
        // and a pending timer would keep this object and its WebSocket alive for the whole timeout.
        try { await Task.Delay(timeout, _disposed.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return; }
        if (_socket.State != WebSocketState.Closed) Abort();
    }

    private async Task<bool> WaitSenderAsync(TimeSpan timeout)
    {
        if (_sender.IsCompleted) return true;
        using var stop = new CancellationTokenSource();
        var done = await Task.WhenAny(_sender, Task.Delay(timeout, stop.Token)).ConfigureAwait(false);
        stop.Cancel(); // no timer outlives the wait
        return done == _sender;
    }

    public void Abort()
    {
        try { _abort.Cancel(); } catch (ObjectDisposedException) { }
        _socket.Abort();
    }

    private async Task SendLoopAsync()
    {
        try
        {
            await foreach (var m in _outbound.Reader.ReadAllAsync(_abort.Token).ConfigureAwait(false))
                await _socket.SendAsync(m.Payload, m.Type, endOfMessage: true, _abort.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            try { _abort.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    private static string Truncate(string s, int maxBytes)
    {
        // A close reason is at most 123 UTF-8 bytes.
        while (Encoding.UTF8.GetByteCount(s) > maxBytes) s = s[..^1];
        return s;
    }

    public async ValueTask DisposeAsync()
    {
        _outbound.Writer.TryComplete();
        if (!await WaitSenderAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false)) Abort();
        // Cancelled, never disposed: a close started after this (a late forwarder) still reads its token and ends at once.
        _disposed.Cancel();
        _abort.Dispose();
    }

    private readonly record struct Outbound(ReadOnlyMemory<byte> Payload, WebSocketMessageType Type);
}

/// <summary>A client message over the documented size limit.</summary>
public sealed class MessageTooLargeException(WebSocketMessageType type, int limit)
    : Exception($"{(type == WebSocketMessageType.Text ? "text" : "binary")} message exceeds the limit of {limit} bytes")
{
    public int Limit { get; } = limit;
}
