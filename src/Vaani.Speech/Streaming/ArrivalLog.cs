using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vaani.Speech.Streaming;

/// <summary>
/// When the stream's audio arrived: the timeline position after each piece and its arrival time,
/// for the newest <see cref="Capacity"/> pieces (older ones are overwritten), so a final result's
/// latency can be measured from the arrival of the audio that ends it. A struct held in a field of
/// its owner (never copied) with one array, allocated at the first record: recording a piece, once
/// per audio frame, is one store into that array and touches no other object. Not thread-safe.
/// </summary>
internal struct ArrivalLog
{
    /// <summary>Pieces remembered.</summary>
    public const int Capacity = 512;

    private (long Position, long Timestamp)[]? _entries;
    private int _next;  // slot the next record goes to
    private int _count; // slots in use, up to Capacity

    /// <summary>Pieces remembered now.</summary>
    public readonly int Count => _count;

    /// <summary>Records that the audio up to <paramref name="position"/> arrived at <paramref name="timestamp"/>.</summary>
    public void Record(long position, long timestamp)
    {
        var entries = _entries ??= new (long, long)[Capacity];
        // _next stays below Capacity, the array's length: no bounds check (which would read the
        // array's header, often a line of its own, once per frame).
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(entries), _next) = (position, timestamp);
        _next = _next == Capacity - 1 ? 0 : _next + 1;
        if (_count < Capacity) _count++;
    }

    /// <summary>
    /// The arrival time of the oldest remembered piece that reaches <paramref name="position"/>
    /// (the piece holding the byte just before it); false when none does.
    /// </summary>
    public readonly bool TryFind(long position, out long timestamp)
    {
        for (int i = 0, slot = _count < Capacity ? 0 : _next; i < _count; i++, slot = slot == Capacity - 1 ? 0 : slot + 1)
        {
            var (end, at) = _entries![slot];
            if (end >= position)
            {
                timestamp = at;
                return true;
            }
        }
        timestamp = 0;
        return false;
    }
}
