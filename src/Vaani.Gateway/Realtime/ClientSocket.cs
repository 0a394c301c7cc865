using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;
using Vaani.Gateway.Transport;
using Vaani.Workers.Net;
using Received = (System.Net.WebSockets.WebSocketMessageType Type, System.ReadOnlyMemory<byte> Payload)?;

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
    private readonly DirectReceiver? _direct;
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
        // Whatever ends the connection also ends the queue: the sender loop waits on it without a
        // token (a cancellable wait would allocate a waiter and a registration per message) and
        // ends once the queue is completed and drained.
        _abort.Token.UnsafeRegister(static s => ((ClientSocket)s!)._outbound.Writer.TryComplete(), this);
        // Started here, not on a pool thread: it suspends at once on the empty queue (one thread wake-up less per session).
        _sender = SendLoopAsync();
        if (socket is DirectWebSocket direct)
        {
            _direct = new DirectReceiver(this, direct);
            // Whatever ends the connection (Abort, a failed send) also ends a receive waiting on the socket.
            _abort.Token.UnsafeRegister(static s => ((WebSocket)s!).Abort(), socket);
        }
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

    /// <summary>Queues JSON already serialised to UTF-8 as a text message, waiting while the queue is full (see <see cref="SendJsonAsync"/>).</summary>
    public ValueTask<bool> SendUtf8JsonAsync(byte[] utf8Json, CancellationToken cancellationToken) =>
        EnqueueAsync(new Outbound(utf8Json, WebSocketMessageType.Text), cancellationToken);

    /// <summary>Queues a binary message, waiting while the queue is full (see <see cref="SendJsonAsync"/>).</summary>
    public ValueTask<bool> SendBinaryAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        EnqueueAsync(new Outbound(payload, WebSocketMessageType.Binary), cancellationToken);

    private ValueTask<bool> EnqueueAsync(Outbound message, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _closing) != 0) return new ValueTask<bool>(false);
        if (_outbound.Writer.TryWrite(message)) return new ValueTask<bool>(true);
        if (_abort.IsCancellationRequested) return new ValueTask<bool>(false); // the queue ended with the connection
        return WaitToEnqueueAsync(message, cancellationToken);
    }

    /// <summary>The queue is full: waits for room up to the slow-reader timeout.</summary>
    private async ValueTask<bool> WaitToEnqueueAsync(Outbound message, CancellationToken cancellationToken)
    {
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
        if (_abort.IsCancellationRequested) return false; // the queue ended with the connection, not full
        ClosedAsSlowReader = true;
        _ = CloseAsync(CloseCodes.BadInput, "slow_reader", "the client is not reading: its outbound buffer is full", TimeSpan.FromSeconds(2));
        return false;
    }

    /// <summary>
    /// Reads one whole message up to <paramref name="maxBytes"/> (<paramref name="maxTextBytes"/> for
    /// text) into <paramref name="buffer"/>; the payload stays valid until the next call. Returns null
    /// on a close frame. Throws <see cref="MessageTooLargeException"/> when the message is larger.
    /// One receive at a time.
    /// </summary>
    public ValueTask<Received> ReceiveAsync(MessageBuffer buffer, int maxBytes, int maxTextBytes, CancellationToken ct)
    {
        // Wait for the next message without a buffer (a zero-byte receive returns once its header has
        // arrived): an idle connection holds no receive buffer, only the pool's arrays in use do.
        buffer.Release();
        // The fast path needs cancellation to end its wait: _abort does (it aborts the socket).
        if (_direct is not null && (ct == _abort.Token || !ct.CanBeCanceled))
            return _direct.ReceiveAsync(buffer, maxBytes, maxTextBytes, ct);
        return ReceiveGeneralAsync(buffer, maxBytes, maxTextBytes, ct);
    }

    /// <summary>
    /// Has binary messages that arrive while a receive waits on the event loop handed to
    /// <paramref name="handler"/> right there, on the loop's thread, instead of completing the
    /// receive: the receiving method is not resumed once per audio frame. The payload is valid
    /// during the call only. The handler returns true to go on that way, false when its caller now
    /// has something to await (backpressure, pacing): the waiting receive then completes with an
    /// empty binary message, the one just handled being done. A handler that throws fails the
    /// receive. Null stops it. Returns false on a socket other than the gateway's direct one, where
    /// binary messages keep coming from <see cref="ReceiveAsync"/>; so do they during a receive
    /// given a cancellable token other than <see cref="Aborted"/>.
    /// </summary>
    public bool HandleBinaryInline(Func<ReadOnlyMemory<byte>, bool>? handler)
    {
        if (_direct is null) return false;
        _direct.BinaryHandler = handler;
        return true;
    }

    /// <summary>
    /// Any WebSocket, and what <see cref="DirectReceiver"/> leaves to it (control frames, errors): it
    /// continues a message already begun, after the bytes already in the buffer.
    /// </summary>
    private async ValueTask<Received> ReceiveGeneralAsync(MessageBuffer buffer, int maxBytes, int maxTextBytes, CancellationToken ct)
    {
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
    /// Receives on a <see cref="DirectWebSocket"/>: a message's data frames are read synchronously
    /// (<see cref="DirectWebSocket.TryReceiveMessage"/>), and a receive that has to wait for the
    /// socket completes through this one reusable source when the loop signals it, so a message
    /// costs no allocation and no <c>async</c> method suspending on the way. Binary messages read
    /// on the loop go to <see cref="BinaryHandler"/> when one is set (<see cref="HandleBinaryInline"/>).
    /// </summary>
    private sealed class DirectReceiver : IValueTaskSource<Received>
    {
        private enum Progress { Done, Waiting, General }

        private readonly ClientSocket _owner;
        private readonly DirectWebSocket _socket;
        private readonly Action _onReadable;
        private ManualResetValueTaskSourceCore<Received> _core; // continuations run inline: on the loop
        private MessageBuffer? _buffer;
        private int _maxBytes, _maxTextBytes;
        private CancellationToken _ct;

        /// <summary>Takes binary messages read on the loop; false: complete the receive (see <see cref="HandleBinaryInline"/>).</summary>
        public Func<ReadOnlyMemory<byte>, bool>? BinaryHandler { get; set; }

        public DirectReceiver(ClientSocket owner, DirectWebSocket socket)
        {
            _owner = owner;
            _socket = socket;
            _onReadable = OnReadable;
        }

        public ValueTask<Received> ReceiveAsync(MessageBuffer buffer, int maxBytes, int maxTextBytes, CancellationToken ct)
        {
            (_buffer, _maxBytes, _maxTextBytes, _ct) = (buffer, maxBytes, maxTextBytes, ct);
            _core.Reset(); // before a wait is registered: it may complete at once
            try
            {
                // Checked once per receive, not per message read on the loop: the token this path
                // takes is the connection's, whose cancellation aborts the socket, which ends it there.
                ct.ThrowIfCancellationRequested();
                return Run(out var message) switch
                {
                    Progress.Done => new ValueTask<Received>(message),
                    Progress.General => _owner.ReceiveGeneralAsync(buffer, maxBytes, maxTextBytes, ct),
                    _ => new ValueTask<Received>(this, _core.Version),
                };
            }
            catch (Exception ex)
            {
                return ValueTask.FromException<Received>(ex);
            }
        }

        private void OnReadable()
        {
            try
            {
                while (true)
                {
                    switch (Run(out var message))
                    {
                        case Progress.Done:
                            if (message!.Value.Type == WebSocketMessageType.Binary && BinaryHandler is { } handler)
                            {
                                bool more = handler(message.Value.Payload);
                                _buffer!.Release(); // as the next ReceiveAsync would
                                if (more) continue;
                                message = (WebSocketMessageType.Binary, ReadOnlyMemory<byte>.Empty);
                            }
                            _core.SetResult(message);
                            return;
                        case Progress.General:
                            _ = CompleteFromAsync(_owner.ReceiveGeneralAsync(_buffer!, _maxBytes, _maxTextBytes, _ct));
                            return;
                        default:
                            return; // waiting again: this method runs once more when the socket has data
                    }
                }
            }
            catch (Exception ex)
            {
                _core.SetException(ex);
            }
        }

        /// <summary>Reads until a whole message, a wait (then registered) or something for the general path.</summary>
        private Progress Run(out Received message)
        {
            message = null;
            while (true)
            {
                var step = _socket.TryReceiveMessage(_buffer!, _maxBytes, _maxTextBytes, out var type);
                if (step == DirectWebSocket.ReceiveStep.Message)
                {
                    message = (type, _buffer!.WrittenMemory);
                    return Progress.Done;
                }
                if (step == DirectWebSocket.ReceiveStep.Other) return Progress.General;
                if (_socket.TryArmForData(_onReadable))
                    return Progress.Waiting; // OnReadable runs when the socket has data
            }
        }

        private async Task CompleteFromAsync(ValueTask<Received> general)
        {
            try { _core.SetResult(await general.ConfigureAwait(false)); }
            catch (Exception ex) { _core.SetException(ex); }
        }

        public Received GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
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
            var queue = _outbound.Reader;
            while (await queue.WaitToReadAsync().ConfigureAwait(false))
            {
                while (queue.TryRead(out var m))
                    await _socket.SendAsync(m.Payload, m.Type, endOfMessage: true, _abort.Token).ConfigureAwait(false);
            }
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
