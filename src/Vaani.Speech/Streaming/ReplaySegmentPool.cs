using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vaani.Speech.Streaming;

/// <summary>
/// Spare replay segments, shared by every session of the process. A held segment lives as long as
/// the utterance it holds — seconds — so it outlives the youngest generation and would be copied by
/// every collection it survives. Segments are therefore allocated on the pinned object heap: never
/// moved, never counted against the young generation's budget, and not zeroed (every byte read
/// back was written first).
/// </summary>
/// <remarks>
/// A segment freed by a final result is kept for the next one. The pool keeps at least
/// <see cref="BaseCapacity"/> spares, and more after a peak: as many as were in use at once during
/// the current or the previous <see cref="Window"/>, never more than <see cref="MaxCapacity"/>. So a
/// steady load reuses the same segments instead of allocating fresh pinned memory (a page fault per
/// new page, and growth of the heap that only a full collection reclaims), and memory kept after a
/// peak is released within two windows of it. Spares and segments in use together never exceed the
/// highest use seen in those two windows.
/// </remarks>
internal sealed class ReplaySegmentPool
{
    /// <summary>Bytes per segment: a quarter second of 16 kHz linear16.</summary>
    public const int SegmentSize = 8192;

    /// <summary>
    /// The process's pool: at least 1,024 spares (8 MiB), up to the peak use of the last five to ten
    /// minutes, at most 16,384 (128 MiB, e.g. 2,000 streams each four seconds from its last final).
    /// </summary>
    public static ReplaySegmentPool Shared { get; } = new(1024, 16384, TimeSpan.FromMinutes(5), TimeProvider.System);

    // Taken once per segment (every 8 KiB of audio), never per frame.
    private readonly Lock _gate = new();
    private readonly ReplaySegment[] _spare;
    private readonly TimeProvider _time;
    private readonly long _windowTicks;
    private int _count;
    private int _inUse;        // rented and not yet returned
    private int _peak;         // most in use at once in the current window
    private int _previousPeak; // ... in the previous one
    private long _windowEnd;
    private readonly ITimer _trim;

    /// <summary>A pool that keeps <paramref name="capacity"/> spares at most, whatever the use.</summary>
    public ReplaySegmentPool(int capacity)
        : this(capacity, capacity, TimeSpan.FromMinutes(5), TimeProvider.System)
    {
    }

    public ReplaySegmentPool(int baseCapacity, int maxCapacity, TimeSpan window, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(baseCapacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCapacity, baseCapacity);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        BaseCapacity = baseCapacity;
        Window = window;
        _spare = new ReplaySegment[maxCapacity];
        _time = time;
        _windowTicks = (long)(window.TotalSeconds * time.TimestampFrequency);
        _windowEnd = time.GetTimestamp() + _windowTicks;
        // Rolls the window when no session rents or returns, so an idle process lets spares go too.
        _trim = time.CreateTimer(static s => ((ReplaySegmentPool)s!).Trim(), this, window, window);
    }

    /// <summary>Spare segments kept whatever the use.</summary>
    public int BaseCapacity { get; }

    /// <summary>Spare segments kept at most.</summary>
    public int MaxCapacity => _spare.Length;

    /// <summary>How long a peak of use keeps its spares: for the rest of its window and the next.</summary>
    public TimeSpan Window { get; }

    /// <summary>Spare segments kept now.</summary>
    public int Count
    {
        get { lock (_gate) { Roll(); return _count; } }
    }

    /// <summary>A spare segment, or a new one; its contents are unspecified.</summary>
    public ReplaySegment Rent()
    {
        lock (_gate)
        {
            Roll();
            _inUse++;
            if (_inUse > _peak) _peak = _inUse;
            if (_count > 0)
            {
                var segment = _spare[--_count];
                _spare[_count] = default;
                return segment;
            }
        }
        return ReplaySegment.Allocate();
    }

    /// <summary>Keeps <paramref name="segment"/> (one this pool rented) for reuse while the pool has room.</summary>
    public void Return(ReplaySegment segment)
    {
        if (segment.Array is null) throw new ArgumentException("not a rented segment", nameof(segment));
        lock (_gate)
        {
            Roll();
            if (_inUse > 0) _inUse--;
            if (_count < Limit())
                _spare[_count++] = segment;
        }
    }

    /// <summary>Spares kept now: the base, or what the recent peak needs beside the segments in use.</summary>
    private int Limit() => Math.Min(_spare.Length, Math.Max(BaseCapacity, Math.Max(_peak, _previousPeak) - _inUse));

    private void Trim()
    {
        lock (_gate) Roll();
    }

    /// <summary>Starts a new window when the current one has ended, and lets spares above the new limit go.</summary>
    private void Roll()
    {
        long now = _time.GetTimestamp();
        if (now < _windowEnd) return;
        // A whole window without any call counts as one with no use.
        _previousPeak = now - _windowEnd >= _windowTicks ? _inUse : _peak;
        _peak = _inUse;
        _windowEnd = now + _windowTicks;
        int limit = Limit();
        while (_count > limit)
            _spare[--_count] = default; // left to the collector
    }
}

/// <summary>
/// One replay segment: <see cref="ReplaySegmentPool.SegmentSize"/> bytes on the pinned object heap,
/// which never moves them, at <see cref="Data"/>, an address taken once when it is allocated and
/// aligned to a cache line (64 bytes). The buffer reads and writes through the address, so a write
/// touches only the bytes written, never the array's header, and a 20 ms frame of the engines'
/// 16 kHz linear16 (640 bytes) covers ten lines, not eleven. Only <see cref="Allocate"/> makes one.
/// </summary>
internal readonly unsafe struct ReplaySegment
{
    private const int Line = 64;

    private ReplaySegment(byte[] array)
    {
        Array = array;
        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        Data = (byte*)((start + Line - 1) & ~(nint)(Line - 1));
    }

    /// <summary>The array holding the segment (a line longer than it, for the alignment); it keeps the memory alive.</summary>
    public byte[] Array { get; }

    /// <summary>The segment's first byte, 64-byte aligned, valid as long as <see cref="Array"/> lives.</summary>
    public byte* Data { get; }

    /// <summary>The segment's bytes.</summary>
    public Span<byte> Bytes => new(Data, ReplaySegmentPool.SegmentSize);

    /// <summary>A new segment on the pinned object heap (not zeroed: every byte read back was written first).</summary>
    public static ReplaySegment Allocate() =>
        new(GC.AllocateUninitializedArray<byte>(ReplaySegmentPool.SegmentSize + Line - 1, pinned: true));
}
