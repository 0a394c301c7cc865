namespace Vaani.Workers.Protocol;

/// <summary>
/// Parses frames out of bytes read in bulk: one read from a socket may carry many frames, and
/// <see cref="TryRead"/> hands them out one by one without another read or an <c>await</c>, so a
/// read loop is one flat loop (fill, then parse what arrived) instead of an asynchronous read per
/// header and per payload. Not thread-safe: one reader.
/// </summary>
/// <remarks>
/// The buffer is bounded: it starts at <c>bufferSize</c> and grows only to hold one whole frame
/// larger than that (at most <see cref="Frame.HeaderSize"/> + the payload limit, which a header is
/// checked against before anything grows), shrinking back once that frame has been read.
/// </remarks>
public sealed class FrameReader
{
    private readonly int _bufferSize;
    private readonly int _maxPayloadSize;
    private byte[] _buffer;
    private int _start, _end; // bytes read but not yet parsed
    private int _need = Frame.HeaderSize; // bytes the next frame needs in the buffer

    public FrameReader(int bufferSize = 64 * 1024, int maxPayloadSize = Frame.MaxPayloadSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, Frame.HeaderSize);
        _bufferSize = bufferSize;
        _maxPayloadSize = maxPayloadSize;
        _buffer = new byte[bufferSize];
    }

    /// <summary>Bytes received and not yet handed out as frames.</summary>
    public int Buffered => _end - _start;

    /// <summary>
    /// The next whole frame from the bytes received so far; false when more bytes are needed.
    /// The frame owns its payload (a copy).
    /// </summary>
    /// <exception cref="ProtocolException">The next header declares a payload over the limit or an unknown type.</exception>
    public bool TryRead(out Frame frame)
    {
        frame = default;
        if (Buffered < Frame.HeaderSize) return false;
        var (type, channel, length) = FrameCodec.ReadHeader(_buffer.AsSpan(_start, Frame.HeaderSize), _maxPayloadSize);
        _need = Frame.HeaderSize + length;
        if (Buffered < _need) return false;
        frame = length == 0
            ? Frame.Empty(type, channel)
            : new Frame(type, channel, _buffer.AsSpan(_start + Frame.HeaderSize, length).ToArray());
        _start += _need;
        _need = Frame.HeaderSize;
        if (_start == _end)
        {
            _start = _end = 0;
            if (_buffer.Length > _bufferSize) _buffer = new byte[_bufferSize]; // a large frame passed: give its room back
        }
        return true;
    }

    /// <summary>
    /// Free space to receive into, after the bytes already held: after <see cref="TryRead"/> returned
    /// false, room for at least the rest of the frame being read (never empty). Call
    /// <see cref="Advance"/> with the count received.
    /// </summary>
    public Memory<byte> GetReceiveBuffer()
    {
        if (_buffer.Length - _start < _need)
        {
            // The frame does not fit where it starts: move it to the front, into a larger array if needed.
            var target = _need <= _buffer.Length ? _buffer : new byte[_need];
            _buffer.AsSpan(_start, Buffered).CopyTo(target);
            _buffer = target;
            _end -= _start;
            _start = 0;
        }
        return _buffer.AsMemory(_end);
    }

    /// <summary>Records <paramref name="count"/> bytes received into <see cref="GetReceiveBuffer"/>.</summary>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _end);
        _end += count;
    }

    /// <summary>
    /// The stream ended: fine between frames, a <see cref="ProtocolException"/> (<c>truncated_frame</c>)
    /// inside one.
    /// </summary>
    public void EndOfStream()
    {
        if (Buffered == 0) return;
        if (Buffered < Frame.HeaderSize) throw FrameCodec.TruncatedHeader(Buffered);
        var (type, _, length) = FrameCodec.ReadHeader(_buffer.AsSpan(_start, Frame.HeaderSize), _maxPayloadSize);
        throw FrameCodec.TruncatedPayload(type, Buffered - Frame.HeaderSize, length);
    }

    /// <summary>The next frame from <paramref name="stream"/>, reading only when the bytes held do not complete one; null at a clean end.</summary>
    public async ValueTask<Frame?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryRead(out var frame)) return frame;
            int n = await stream.ReadAsync(GetReceiveBuffer(), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                EndOfStream();
                return null;
            }
            Advance(n);
        }
    }
}
