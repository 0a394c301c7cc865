namespace Vaani.Speech.Streaming;

/// <summary>
/// Spare replay segments, shared by every session of the process. A held segment lives as long as
/// the utterance it holds — seconds — so it outlives the youngest generation and would be copied by
/// every collection it survives. Segments are therefore allocated on the pinned object heap: never
/// moved, never counted against the young generation's budget, and not zeroed (every byte read
/// back was written first). A segment freed by a final result is kept for the next one, up to
/// <see cref="Capacity"/> segments; beyond that it is left to the collector.
/// </summary>
internal sealed class ReplaySegmentPool
{
    /// <summary>Bytes per segment: a quarter second of 16 kHz linear16.</summary>
    public const int SegmentSize = 8192;

    /// <summary>The process's pool: 1,024 spare segments (8 MiB) at most.</summary>
    public static ReplaySegmentPool Shared { get; } = new(1024);

    // Taken once per segment (every 8 KiB of audio), never per frame.
    private readonly Lock _gate = new();
    private readonly byte[]?[] _spare;
    private int _count;

    public ReplaySegmentPool(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _spare = new byte[capacity][];
    }

    /// <summary>Spare segments kept at most.</summary>
    public int Capacity => _spare.Length;

    /// <summary>Spare segments kept now.</summary>
    public int Count
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>A spare segment, or a new one; its contents are unspecified.</summary>
    public byte[] Rent()
    {
        lock (_gate)
        {
            if (_count > 0)
            {
                var segment = _spare[--_count]!;
                _spare[_count] = null;
                return segment;
            }
        }
        return GC.AllocateUninitializedArray<byte>(SegmentSize, pinned: true);
    }

    /// <summary>Keeps <paramref name="segment"/> for reuse while the pool has room.</summary>
    public void Return(byte[] segment)
    {
        if (segment.Length != SegmentSize)
            throw new ArgumentException($"a replay segment is {SegmentSize} bytes, not {segment.Length}", nameof(segment));
        lock (_gate)
        {
            if (_count < _spare.Length)
                _spare[_count++] = segment;
        }
    }
}
