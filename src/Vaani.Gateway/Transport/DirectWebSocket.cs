using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using Vaani.Gateway.Realtime;
using Vaani.Workers.Net;

namespace Vaani.Gateway.Transport;

/// <summary>
/// The server side of an RFC 6455 WebSocket straight on a connected, non-blocking socket (one that
/// <see cref="DirectConnection.DetachAsync"/> handed over after the handshake, with its
/// <see cref="SocketWatch"/>). Reads are non-blocking receives; after a short read (the socket is
/// empty) the next one first waits on the event loop, so a frame costs one wake-up and one receive,
/// and an idle socket holds no receive buffer. Writes are one non-blocking send per frame (header and
/// payload together), waiting on the loop only while the socket's buffer is full. Code after a wait
/// runs on the loop's thread.
/// </summary>
/// <remarks>
/// Behaves as the runtime's own WebSocket does where the endpoints rely on it: a zero-byte
/// <see cref="ReceiveAsync(Memory{byte}, CancellationToken)"/> returns once the next data frame's
/// header has arrived; pings are answered; a close frame ends reading (<see cref="WebSocketState.CloseReceived"/>)
/// and the reply is the caller's <see cref="CloseOutputAsync"/>; a cancelled receive aborts the
/// socket; a protocol error (an unmasked or reserved-bit frame, a bad opcode or control frame, a
/// continuation out of place) is answered with close 1002 and thrown. No extensions are negotiated.
/// One receive and one send may run at once; concurrent sends are serialised.
/// </remarks>
internal sealed class DirectWebSocket : WebSocket
{
    private const int ReceiveBufferSize = 4096; // holds any header plus a whole control frame after compaction
    private const int MaxHeader = 14;

    private readonly Socket _socket;
    private readonly SocketWatch _watch;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _stateGate = new();
    private readonly IDisposable? _keepAlive;
    private readonly int _ticksPerKeepAlive;
    private int _ticksSinceKeepAlive;
    private volatile WebSocketState _state = WebSocketState.Open;
    private WebSocketCloseStatus? _closeStatus;
    private string? _closeDescription;
    private bool _closeSent;
    private bool _sendInMessage;

    // Receive state: bytes read but not consumed, and the data frame being read.
    private byte[]? _rx;
    private int _rxStart, _rxEnd;
    private bool _drained; // the last receive was short: wait for the loop before the next
    private bool _inFrame;
    private long _payloadLeft;
    private uint _mask;
    private int _maskOffset;
    private bool _frameFin;
    private bool _inMessage;
    private WebSocketMessageType _messageType;

    /// <param name="keepAliveInterval">Time between keepalive pongs; zero sends none.</param>
    /// <param name="ticker">Times the keepalives (to its resolution); required when <paramref name="keepAliveInterval"/> is positive.</param>
    public DirectWebSocket(SocketWatch watch, string? subProtocol, TimeSpan keepAliveInterval, Ticker? ticker = null)
    {
        _watch = watch;
        _socket = watch.Socket;
        SubProtocol = subProtocol;
        if (keepAliveInterval > TimeSpan.Zero)
        {
            ArgumentNullException.ThrowIfNull(ticker);
            _ticksPerKeepAlive = (int)Math.Max(1, Math.Ceiling(keepAliveInterval / ticker.Period));
            _keepAlive = ticker.Register(_ => OnTick());
        }
    }

    private void OnTick()
    {
        if (++_ticksSinceKeepAlive < _ticksPerKeepAlive) return;
        _ticksSinceKeepAlive = 0;
        SendKeepAlive();
    }

    public override WebSocketCloseStatus? CloseStatus => _closeStatus;
    public override string? CloseStatusDescription => _closeDescription;
    public override WebSocketState State => _state;
    public override string? SubProtocol { get; }

    public override async Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
    {
        var r = await ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
        return r.MessageType == WebSocketMessageType.Close
            ? new WebSocketReceiveResult(0, WebSocketMessageType.Close, true, _closeStatus, _closeDescription)
            : new WebSocketReceiveResult(r.Count, r.MessageType, r.EndOfMessage);
    }

    public override async ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_state is not (WebSocketState.Open or WebSocketState.CloseSent))
            throw new WebSocketException(WebSocketError.InvalidState, $"the WebSocket is {_state}: it cannot receive");
        try
        {
            while (true)
            {
                if (!_inFrame)
                {
                    var (ready, result) = await ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
                    if (ready) return result;
                    continue;
                }
                if (buffer.IsEmpty) return new ValueWebSocketReceiveResult(0, _messageType, false);

                int n = TryReadPayload(buffer.Span);
                if (n < 0)
                {
                    await WaitReadableAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                bool end = !_inFrame && !_inMessage;
                return new ValueWebSocketReceiveResult(n, _messageType, end);
            }
        }
        catch (OperationCanceledException)
        {
            Abort();
            throw;
        }
        catch (ObjectDisposedException ex)
        {
            throw Lost(ex);
        }
    }

    /// <summary>What <see cref="TryReceiveMessage"/> got to.</summary>
    internal enum ReceiveStep
    {
        /// <summary>A whole message is in the buffer.</summary>
        Message,
        /// <summary>The socket is empty: arm <see cref="TryArmForData"/>, then call again.</summary>
        Wait,
        /// <summary>
        /// Something other than data frames within the limit comes next (a control frame, a protocol
        /// error, a message over the limit, a socket no longer open): go on with
        /// <see cref="ReceiveAsync(Memory{byte}, CancellationToken)"/>, which handles it and continues
        /// the message where this left off.
        /// </summary>
        Other,
    }

    /// <summary>
    /// The per-message fast path: reads the current message's data frames into
    /// <paramref name="buffer"/> (after what it holds) from the bytes held and non-blocking receives,
    /// synchronously, so a client's next audio frame costs no <c>async</c> method suspending per
    /// layer, only the caller's one wait on the loop. Limits are as in
    /// <see cref="Realtime.ClientSocket.ReceiveAsync"/>: <paramref name="maxBytes"/> for binary,
    /// <paramref name="maxTextBytes"/> for text messages.
    /// </summary>
    internal ReceiveStep TryReceiveMessage(Realtime.MessageBuffer buffer, int maxBytes, int maxTextBytes, out WebSocketMessageType type)
    {
        type = _messageType;
        if (_state != WebSocketState.Open) return ReceiveStep.Other;
        try
        {
            while (true)
            {
                if (!_inFrame)
                {
                    if (!TryParseHeader(out var h))
                    {
                        if (!TryFill()) return ReceiveStep.Wait;
                        continue;
                    }
                    if (h.Error is not null || h.Opcode >= 8) return ReceiveStep.Other;
                    StartDataFrame(h);
                    type = _messageType;
                    if (!_inMessage) return ReceiveStep.Message; // an empty final frame
                    continue;
                }
                int limit = _messageType == WebSocketMessageType.Text ? maxTextBytes : maxBytes;
                if (buffer.WrittenCount + _payloadLeft > limit) return ReceiveStep.Other; // refused there, as from the generic path
                int n = TryReadPayload(buffer.GetMemory(limit).Span);
                if (n < 0) return ReceiveStep.Wait;
                buffer.Advance(n);
                if (_inFrame || _inMessage) continue;
                return ReceiveStep.Message;
            }
        }
        catch (ObjectDisposedException ex)
        {
            throw Lost(ex);
        }
    }

    /// <summary>
    /// Reads the current data frame's payload into <paramref name="destination"/> (not empty) from the
    /// bytes held or one non-blocking receive, unmasked; at the frame's end the frame (and, on its
    /// last frame, the message) is done. Returns the bytes read, or −1 when the socket is empty
    /// (wait for the loop, then call again).
    /// </summary>
    private int TryReadPayload(Span<byte> destination)
    {
        int want = (int)Math.Min(destination.Length, _payloadLeft);
        int n;
        if (Buffered > 0)
        {
            n = Math.Min(want, Buffered);
            _rx.AsSpan(_rxStart, n).CopyTo(destination);
            Consume(n);
        }
        else
        {
            if (_drained) return -1;
            n = _socket.Receive(destination[..want], SocketFlags.None, out var status);
            if (status == SocketError.WouldBlock) { _drained = true; return -1; }
            if (status != SocketError.Success) throw Lost(new SocketException((int)status));
            if (n == 0) throw Lost(null);
            _drained = n < want;
        }
        Unmask(destination[..n]);
        _payloadLeft -= n;
        if (_payloadLeft == 0)
        {
            _inFrame = false;
            if (_frameFin) _inMessage = false;
        }
        return n;
    }

    /// <summary>
    /// After <see cref="ReceiveStep.Wait"/>: false when data may have come meanwhile (call again now);
    /// true when <paramref name="handler"/> will run on the loop's thread once the socket may have
    /// data, or has been aborted or closed (<see cref="SocketWatch.TryArmReadable"/>). Takes no
    /// token: the caller makes cancellation abort the socket (<see cref="Abort"/>), which ends the wait.
    /// </summary>
    internal bool TryArmForData(Action handler)
    {
        _drained = false;
        return _watch.TryArmReadable(handler);
    }

    /// <summary>One non-blocking receive into the receive buffer; false when the socket has nothing now.</summary>
    private bool TryFill()
    {
        if (_drained) return false;
        PrepareReceiveBuffer();
        int room = _rx!.Length - _rxEnd;
        int n = _socket.Receive(_rx.AsSpan(_rxEnd), SocketFlags.None, out var status);
        if (status == SocketError.WouldBlock) { _drained = true; return false; }
        if (status != SocketError.Success) throw Lost(new SocketException((int)status));
        if (n == 0) throw Lost(null);
        _drained = n < room;
        _rxEnd += n;
        return true;
    }

    /// <summary>
    /// Reads and handles one frame header (and a control frame's payload). Returns a result for the
    /// caller when there is one: a close, an empty data frame, or the start of a data frame for a
    /// zero-byte receive; otherwise the caller goes on (a data frame's payload, or the next frame).
    /// </summary>
    private async ValueTask<(bool Ready, ValueWebSocketReceiveResult Result)> ReadHeaderAsync(CancellationToken ct)
    {
        FrameHeader h;
        while (!TryParseHeader(out h)) await FillAsync(ct).ConfigureAwait(false);
        if (h.Error is not null) throw await ProtocolErrorAsync(h.Error).ConfigureAwait(false);
        if (h.Opcode >= 8)
        {
            int frameLength = h.HeaderLength + (int)h.PayloadLength; // at most 14 + 125
            while (Buffered < frameLength) await FillAsync(ct).ConfigureAwait(false);
            var payload = _rx.AsSpan(_rxStart + h.HeaderLength, (int)h.PayloadLength);
            UnmaskWith(payload, h.Mask, 0);
            switch (h.Opcode)
            {
                case 0x8:
                    return (true, await HandleCloseAsync(payload.ToArray(), frameLength).ConfigureAwait(false));
                case 0x9:
                    var ping = payload.ToArray();
                    Consume(frameLength);
                    await SendFrameAsync(0xA, ping, CancellationToken.None).ConfigureAwait(false);
                    return (false, default);
                default: // 0xA, the only other control opcode TryParseHeader lets through
                    Consume(frameLength);
                    return (false, default);
            }
        }
        if (StartDataFrame(h)) return (true, new ValueWebSocketReceiveResult(0, _messageType, h.Fin));
        return (false, default);
    }

    /// <summary>A frame header as parsed, with what is wrong with it (null when nothing is).</summary>
    private readonly record struct FrameHeader(bool Fin, int Opcode, int HeaderLength, long PayloadLength, uint Mask, string? Error);

    /// <summary>
    /// Parses the header at the read position when the bytes held contain all of it (false: more are
    /// needed). Nothing is consumed.
    /// </summary>
    private bool TryParseHeader(out FrameHeader header)
    {
        header = default;
        if (Buffered < 2) return false;
        var head = _rx.AsSpan(_rxStart, Buffered);
        bool fin = (head[0] & 0x80) != 0;
        int opcode = head[0] & 0x0F;
        bool masked = (head[1] & 0x80) != 0;
        int len7 = head[1] & 0x7F;
        int headerLength = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
        if (Buffered < headerLength) return false;
        long length = len7 switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(head[2..]),
            127 => BinaryPrimitives.ReadInt64BigEndian(head[2..]),
            _ => len7,
        };
        uint mask = BinaryPrimitives.ReadUInt32LittleEndian(head[(headerLength - 4)..]);
        string? error =
            (head[0] & 0x70) != 0 ? "a frame has reserved bits set, but no extension was negotiated"
            : !masked ? "a client frame is not masked"
            : length < 0 ? "a frame's length has its top bit set"
            : opcode >= 8 && (!fin || length > 125) ? "a control frame is fragmented or longer than 125 bytes"
            : opcode > 0xA ? $"unknown control opcode {opcode}"
            : opcode == 0x0 && !_inMessage ? "a continuation frame arrived outside a message"
            : opcode is 0x1 or 0x2 && _inMessage ? "a new message started before the previous one ended"
            : opcode is > 0x2 and < 0x8 ? $"unknown data opcode {opcode}"
            : null;
        header = new FrameHeader(fin, opcode, headerLength, length, mask, error);
        return true;
    }

    /// <summary>Consumes a checked data frame header and starts reading its payload. True when the frame is empty (it is then done).</summary>
    private bool StartDataFrame(in FrameHeader h)
    {
        if (h.Opcode != 0x0)
            _messageType = h.Opcode == 0x1 ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
        Consume(h.HeaderLength);
        _inMessage = true;
        _inFrame = true;
        _frameFin = h.Fin;
        _payloadLeft = h.PayloadLength;
        _mask = h.Mask;
        _maskOffset = 0;
        if (_payloadLeft != 0) return false;
        _inFrame = false;
        if (h.Fin) _inMessage = false;
        return true;
    }

    private async ValueTask<ValueWebSocketReceiveResult> HandleCloseAsync(byte[] payload, int frameLength)
    {
        Consume(frameLength);
        if (payload.Length == 1) throw await ProtocolErrorAsync("a close frame's payload is one byte long").ConfigureAwait(false);
        if (payload.Length >= 2)
        {
            int code = BinaryPrimitives.ReadUInt16BigEndian(payload);
            if (code < 1000 || code is 1004 or 1005 or 1006 or (>= 1015 and < 3000) || code >= 5000)
                throw await ProtocolErrorAsync($"close code {code} is not one a peer may send").ConfigureAwait(false);
            _closeStatus = (WebSocketCloseStatus)code;
            try { _closeDescription = new UTF8Encoding(false, true).GetString(payload, 2, payload.Length - 2); }
            catch (DecoderFallbackException) { throw await ProtocolErrorAsync("a close reason is not valid UTF-8").ConfigureAwait(false); }
        }
        else
        {
            _closeStatus = WebSocketCloseStatus.Empty;
            _closeDescription = null;
        }
        ReleaseReceiveBuffer();
        lock (_stateGate) _state = _closeSent ? WebSocketState.Closed : WebSocketState.CloseReceived;
        return new ValueWebSocketReceiveResult(0, WebSocketMessageType.Close, true);
    }

    private async ValueTask<Exception> ProtocolErrorAsync(string message)
    {
        try { await CloseOutputAsync(WebSocketCloseStatus.ProtocolError, message.Length > 120 ? message[..120] : message, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException) { }
        Abort();
        return new WebSocketException(WebSocketError.Faulted, "WebSocket protocol error: " + message);
    }

    private int Buffered => _rxEnd - _rxStart;

    /// <summary>Reads at least one more byte into the receive buffer, waiting for the socket if it has none.</summary>
    private async ValueTask FillAsync(CancellationToken ct)
    {
        while (!TryFill()) await WaitReadableAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Rents the receive buffer if none is held, and makes room at its end for a header plus a whole control frame.</summary>
    private void PrepareReceiveBuffer()
    {
        if (_rx is null) { _rx = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize); _rxStart = _rxEnd = 0; }
        else if (_rx.Length - _rxEnd < MaxHeader + 125 && _rxStart > 0)
        {
            _rx.AsSpan(_rxStart, Buffered).CopyTo(_rx);
            _rxEnd -= _rxStart;
            _rxStart = 0;
        }
    }

    /// <summary>
    /// Waits on the event loop until the socket may have data. The wait takes no token: a
    /// cancellation aborts the socket, which ends the wait, and is then thrown.
    /// </summary>
    private async ValueTask WaitReadableAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        _drained = false;
        var wait = _watch.WaitReadableAsync();
        if (!wait.IsCompleted)
        {
            using (ct.CanBeCanceled ? ct.UnsafeRegister(static s => ((DirectWebSocket)s!).Abort(), this) : default)
                await wait.ConfigureAwait(false);
        }
        ct.ThrowIfCancellationRequested();
    }

    private void Consume(int count)
    {
        _rxStart += count;
        if (_rxStart == _rxEnd) ReleaseReceiveBuffer();
    }

    private void ReleaseReceiveBuffer()
    {
        if (_rx is null) return;
        ArrayPool<byte>.Shared.Return(_rx);
        _rx = null;
        _rxStart = _rxEnd = 0;
    }

    private void Unmask(Span<byte> data)
    {
        UnmaskWith(data, _mask, _maskOffset);
        _maskOffset = (_maskOffset + data.Length) & 3;
    }

    private static void UnmaskWith(Span<byte> data, uint mask, int offset)
    {
        // Rotate the key so byte 0 of data lines up with key byte `offset`, then XOR 8 bytes at a time.
        uint key = offset == 0 ? mask : BitOperations.RotateRight(mask, offset * 8);
        ulong key8 = key | ((ulong)key << 32);
        int i = 0;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        for (; i < words.Length; i++) words[i] ^= key8;
        i *= 8;
        for (; i < data.Length; i++) data[i] ^= (byte)(key >> ((i & 3) * 8));
    }

    private WebSocketException Lost(Exception? inner)
    {
        lock (_stateGate)
            if (_state is not (WebSocketState.Closed or WebSocketState.Aborted)) _state = WebSocketState.Aborted;
        return new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "the remote party closed the WebSocket connection without completing the close handshake", inner);
    }

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendAsync(buffer.AsMemory(), messageType, endOfMessage, cancellationToken).AsTask();

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, WebSocketMessageFlags messageFlags, CancellationToken cancellationToken = default) =>
        SendAsync(buffer, messageType, (messageFlags & WebSocketMessageFlags.EndOfMessage) != 0, cancellationToken);

    public override async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        if (messageType == WebSocketMessageType.Close)
            throw new ArgumentException("send a close with CloseOutputAsync or CloseAsync", nameof(messageType));
        await LockSendAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_state is not (WebSocketState.Open or WebSocketState.CloseReceived) || _closeSent)
                throw new WebSocketException(WebSocketError.InvalidState, $"the WebSocket is {_state}: it cannot send");
            int opcode = _sendInMessage ? 0x0 : messageType == WebSocketMessageType.Text ? 0x1 : 0x2;
            _sendInMessage = !endOfMessage;
            await WriteFrameAsync(opcode, endOfMessage, buffer, cancellationToken).ConfigureAwait(false);
        }
        finally { _sendLock.Release(); }
    }

    private async ValueTask SendFrameAsync(int opcode, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        await LockSendAsync(ct).ConfigureAwait(false);
        try
        {
            if (_closeSent || _state == WebSocketState.Aborted) return;
            await WriteFrameAsync(opcode, true, payload, ct).ConfigureAwait(false);
        }
        finally { _sendLock.Release(); }
    }

    private ValueTask LockSendAsync(CancellationToken ct) =>
        _sendLock.Wait(0, CancellationToken.None) ? ValueTask.CompletedTask : new ValueTask(_sendLock.WaitAsync(ct));

    /// <summary>Writes one frame with the send lock held: one non-blocking send when the socket has room.</summary>
    private async ValueTask WriteFrameAsync(int opcode, bool fin, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        int headerLength = payload.Length < 126 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        int total = headerLength + payload.Length;
        var frame = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            frame[0] = (byte)((fin ? 0x80 : 0) | opcode);
            if (headerLength == 2) frame[1] = (byte)payload.Length;
            else if (headerLength == 4) { frame[1] = 126; BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length); }
            else { frame[1] = 127; BinaryPrimitives.WriteInt64BigEndian(frame.AsSpan(2), payload.Length); }
            payload.Span.CopyTo(frame.AsSpan(headerLength));
            int sent = _socket.Send(frame.AsSpan(0, total), SocketFlags.None, out var status);
            if (status == SocketError.WouldBlock) sent = 0;
            else if (status != SocketError.Success) throw Lost(new SocketException((int)status));
            while (sent < total)
            {
                // The socket's buffer is full (a slow reader): the rest goes out when it drains.
                ct.ThrowIfCancellationRequested();
                var wait = _watch.WaitWritableAsync();
                if (!wait.IsCompleted)
                {
                    using (ct.CanBeCanceled ? ct.UnsafeRegister(static s => ((DirectWebSocket)s!).Abort(), this) : default)
                        await wait.ConfigureAwait(false);
                }
                ct.ThrowIfCancellationRequested();
                int n = _socket.Send(frame.AsSpan(sent, total - sent), SocketFlags.None, out status);
                if (status == SocketError.Success) sent += n;
                else if (status != SocketError.WouldBlock) throw Lost(new SocketException((int)status));
            }
        }
        catch (ObjectDisposedException ex)
        {
            throw Lost(ex);
        }
        catch (OperationCanceledException)
        {
            Abort(); // part of the frame may be out: the stream cannot go on
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private void SendKeepAlive()
    {
        // An unsolicited pong, as the runtime's WebSocket sends: it keeps intermediaries from timing
        // the connection out and needs no answer. Skipped while a send is running (traffic is flowing).
        if (_state != WebSocketState.Open || _sendLock.CurrentCount == 0) return;
        _ = ObserveAsync(SendFrameAsync(0xA, ReadOnlyMemory<byte>.Empty, CancellationToken.None));
    }

    private static async Task ObserveAsync(ValueTask send)
    {
        try { await send.ConfigureAwait(false); }
        catch (WebSocketException) { } // the connection is gone; the session's own receive reports it
    }

    public override async Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        var reason = Encoding.UTF8.GetBytes(statusDescription ?? "");
        if (reason.Length > 123) throw new ArgumentException("a close reason is at most 123 UTF-8 bytes", nameof(statusDescription));
        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)closeStatus);
        reason.CopyTo(payload, 2);
        await LockSendAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closeSent) return;
            if (_state is not (WebSocketState.Open or WebSocketState.CloseReceived))
                throw new WebSocketException(WebSocketError.InvalidState, $"the WebSocket is {_state}: it cannot close");
            await WriteFrameAsync(0x8, true, payload, cancellationToken).ConfigureAwait(false);
            _closeSent = true;
            lock (_stateGate) _state = _state == WebSocketState.CloseReceived ? WebSocketState.Closed : WebSocketState.CloseSent;
        }
        finally { _sendLock.Release(); }
    }

    public override async Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        await CloseOutputAsync(closeStatus, statusDescription, cancellationToken).ConfigureAwait(false);
        var scratch = new byte[1024];
        while (_state == WebSocketState.CloseSent)
        {
            var r = await ReceiveAsync(scratch.AsMemory(), cancellationToken).ConfigureAwait(false);
            if (r.MessageType == WebSocketMessageType.Close) break;
        }
    }

    public override void Abort()
    {
        lock (_stateGate)
        {
            if (_state is WebSocketState.Closed or WebSocketState.Aborted) return;
            _state = WebSocketState.Aborted;
        }
        _keepAlive?.Dispose();
        // Wakes a pending receive (it then sees the end of the stream); the connection closes the socket.
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
    }

    public override void Dispose()
    {
        _keepAlive?.Dispose();
        bool open;
        lock (_stateGate)
        {
            open = _state is not (WebSocketState.Closed or WebSocketState.Aborted);
            if (open) _state = WebSocketState.Closed;
        }
        if (open)
        {
            try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        }
    }
}
