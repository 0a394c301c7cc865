namespace Vaani.Speech.Streaming;

/// <summary>
/// Engine-format audio since the last final result, kept so a session can be replayed on another
/// worker. Positions are byte offsets on the session's engine-format timeline. Memory grows with the
/// audio actually held (8 KiB segments from a <see cref="ReplaySegmentPool"/>) and never beyond
/// <see cref="Capacity"/>, so an idle session costs nothing here. Not thread-safe: the session calls
/// it under its lock; dispose it to give its segments back.
/// </summary>
internal sealed unsafe class ReplayBuffer : IDisposable
{
    private const int SegmentSize = ReplaySegmentPool.SegmentSize;
    private readonly ReplaySegmentPool _pool;
    private readonly Queue<ReplaySegment> _segments = new();
    private int _headOffset;     // bytes of the first segment already trimmed
    private int _tailFill = SegmentSize; // bytes used in the last segment (full when no segment)
    private byte* _tailData;             // the last segment's first byte (a Queue cannot index its end)

    public ReplayBuffer(int capacityBytes)
        : this(capacityBytes, ReplaySegmentPool.Shared)
    {
    }

    public ReplayBuffer(int capacityBytes, ReplaySegmentPool pool)
    {
        Capacity = capacityBytes;
        _pool = pool;
    }

    public int Capacity { get; }

    /// <summary>Timeline position of the oldest byte held.</summary>
    public long StartPosition { get; private set; }

    /// <summary>Bytes held.</summary>
    public int Count { get; private set; }

    /// <summary>Timeline position just after the newest byte held.</summary>
    public long EndPosition => StartPosition + Count;

    public int Free => Capacity - Count;

    /// <summary>Appends audio; the caller keeps within <see cref="Free"/>.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.Length > Free) throw new InvalidOperationException("replay buffer overflow");
        Count += data.Length;
        while (!data.IsEmpty)
        {
            if (_tailFill == SegmentSize)
            {
                var segment = _pool.Rent();
                _segments.Enqueue(segment);
                _tailData = segment.Data;
                _tailFill = 0;
            }
            int n = Math.Min(data.Length, SegmentSize - _tailFill);
            // Written through the segment's address (it never moves), which touches only the bytes
            // written: a span over the array would read its header first (a page of its own for most
            // of the segment, and another miss, once per audio frame).
            data[..n].CopyTo(new Span<byte>(_tailData + _tailFill, n));
            _tailFill += n;
            data = data[n..];
        }
    }

    /// <summary>Drops everything before <paramref name="position"/> (a final result's end).</summary>
    public void TrimTo(long position)
    {
        long drop = Math.Clamp(position - StartPosition, 0, Count);
        StartPosition += drop;
        Count -= (int)drop;
        _headOffset += (int)drop;
        while (_segments.Count > 0)
        {
            int used = _segments.Count == 1 ? _tailFill : SegmentSize;
            if (_headOffset < used) break;
            _headOffset -= used;
            _pool.Return(_segments.Dequeue());
            if (_segments.Count == 0) { _tailData = null; _tailFill = SegmentSize; _headOffset = 0; }
        }
    }

    /// <summary>
    /// Copies held audio starting at timeline <paramref name="position"/> (at least
    /// <see cref="StartPosition"/>) into <paramref name="destination"/>; returns the bytes copied,
    /// fewer than its length only at <see cref="EndPosition"/>.
    /// </summary>
    public int CopyFrom(long position, Span<byte> destination)
    {
        if (position < StartPosition || position > EndPosition)
            throw new ArgumentOutOfRangeException(nameof(position), $"{position} is outside the held range {StartPosition}..{EndPosition}");
        long skip = position - StartPosition + _headOffset; // bytes to skip from the first segment's start
        int written = 0, index = 0, last = _segments.Count - 1;
        foreach (var segment in _segments)
        {
            if (written == destination.Length) break;
            int used = index == last ? _tailFill : SegmentSize;
            index++;
            if (skip >= used) { skip -= used; continue; }
            int n = Math.Min(used - (int)skip, destination.Length - written);
            segment.Bytes.Slice((int)skip, n).CopyTo(destination[written..]);
            written += n;
            skip = 0;
        }
        return written;
    }

    /// <summary>Copies the held audio out, oldest first.</summary>
    public byte[] ToArray()
    {
        var result = new byte[Count];
        CopyFrom(StartPosition, result);
        return result;
    }

    public void Dispose()
    {
        _tailData = null;
        while (_segments.Count > 0) _pool.Return(_segments.Dequeue());
        _tailFill = SegmentSize;
        _headOffset = 0;
        Count = 0;
    }
}
