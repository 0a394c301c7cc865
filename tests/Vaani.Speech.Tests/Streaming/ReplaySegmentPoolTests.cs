using Vaani.Speech.Streaming;
using Vaani.Testing;

namespace Vaani.Speech.Tests.Streaming;

public sealed class ReplaySegmentPoolTests
{
    [Fact]
    public void Rent_Empty_AllocatesSegmentOutsideTheYoungGenerations()
    {
        var pool = new ReplaySegmentPool(4);
        var segment = pool.Rent();
        Assert.Equal(ReplaySegmentPool.SegmentSize, segment.Bytes.Length);
        // The pinned object heap is collected with the oldest generation: a segment held for
        // seconds is never promoted (copied) out of a young one.
        Assert.Equal(GC.MaxGeneration, GC.GetGeneration(segment.Array));
    }

    [Fact]
    public unsafe void Rent_TheAddressIsInTheArrayAlignedToALine_AndStaysSoAcrossCollections()
    {
        var pool = new ReplaySegmentPool(4);
        var segment = pool.Rent();
        Assert.Equal(0, (long)segment.Data % 64);
        for (int i = 0; i < 3; i++) GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        fixed (byte* first = segment.Array)
        {
            long offset = segment.Data - first;
            Assert.InRange(offset, 0, 63);
            Assert.True(offset + ReplaySegmentPool.SegmentSize <= segment.Array.Length);
            // Written through the address, seen in the array: it never moved.
            segment.Data[100] = 42;
            segment.Data[ReplaySegmentPool.SegmentSize - 1] = 43;
            Assert.Equal(42, segment.Array[offset + 100]);
            Assert.Equal(43, segment.Array[offset + ReplaySegmentPool.SegmentSize - 1]);
        }
    }

    [Fact]
    public void Return_ThenRent_ReusesTheSegment()
    {
        var pool = new ReplaySegmentPool(4);
        var first = pool.Rent();
        var second = pool.Rent();
        pool.Return(first);
        pool.Return(second);
        Assert.Equal(2, pool.Count);
        Assert.Same(second.Array, pool.Rent().Array);
        Assert.Same(first.Array, pool.Rent().Array);
        Assert.Equal(0, pool.Count);
        Assert.NotSame(first.Array, pool.Rent().Array);
    }

    [Fact]
    public void Return_PoolFull_KeepsOnlyCapacity()
    {
        var pool = new ReplaySegmentPool(2);
        var segments = Enumerable.Range(0, 5).Select(_ => ReplaySegment.Allocate()).ToList();
        foreach (var segment in segments) pool.Return(segment);
        Assert.Equal(2, pool.Count);
    }

    [Fact]
    public void Return_NotARentedSegment_Throws()
    {
        var pool = new ReplaySegmentPool(2);
        Assert.Throws<ArgumentException>(() => pool.Return(default));
        Assert.Equal(0, pool.Count);
    }

    [Fact]
    public void ReplayBuffer_TrimAndDispose_ReturnEverySegmentToItsPool()
    {
        var pool = new ReplaySegmentPool(16);
        var buffer = new ReplayBuffer(1 << 20, pool);
        buffer.Append(new byte[3 * ReplaySegmentPool.SegmentSize + 100]); // four segments
        buffer.TrimTo(2 * ReplaySegmentPool.SegmentSize);                   // the first two are free
        Assert.Equal(2, pool.Count);
        buffer.Append(new byte[ReplaySegmentPool.SegmentSize]);           // fills the fourth, takes one back
        Assert.Equal(1, pool.Count);
        buffer.Dispose();
        Assert.Equal(4, pool.Count);
        Assert.Equal(0, buffer.Count);
    }

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private static List<ReplaySegment> RentMany(ReplaySegmentPool pool, int count) => Enumerable.Range(0, count).Select(_ => pool.Rent()).ToList();

    private static void ReturnAll(ReplaySegmentPool pool, List<ReplaySegment> segments)
    {
        foreach (var s in segments) pool.Return(s);
    }

    [Fact]
    public void Return_AfterAPeakAboveTheBase_KeepsEverySegmentOfThePeakForReuse()
    {
        var pool = new ReplaySegmentPool(2, 100, Window, new FakeTimeProvider());
        var peak = RentMany(pool, 10);
        ReturnAll(pool, peak);
        Assert.Equal(10, pool.Count);

        // The same load again is served from the spares: no new pinned segment.
        var again = RentMany(pool, 10);
        Assert.Equal(0, pool.Count);
        Assert.Empty(again.Select(s => s.Array).Except(peak.Select(s => s.Array), ReferenceEqualityComparer.Instance));
    }

    [Fact]
    public void Spares_WindowsWithoutThePeak_FallBackToTheBase()
    {
        var time = new FakeTimeProvider();
        var pool = new ReplaySegmentPool(2, 100, Window, time);
        ReturnAll(pool, RentMany(pool, 10));

        time.Advance(Window); // a new window: the peak is the previous window's, still kept
        Assert.Equal(10, pool.Count);
        ReturnAll(pool, RentMany(pool, 3));
        Assert.Equal(10, pool.Count);

        time.Advance(Window); // two windows on, the highest use was 3
        Assert.Equal(3, pool.Count);
        time.Advance(Window);  // a window with no use at all (the timer rolls it): the base
        time.Advance(Window);
        Assert.Equal(2, pool.Count);
    }

    [Fact]
    public void Spares_PlusSegmentsInUse_NeverExceedTheRecentPeak()
    {
        var pool = new ReplaySegmentPool(2, 100, Window, new FakeTimeProvider());
        var held = RentMany(pool, 8);
        ReturnAll(pool, held.GetRange(0, 5));
        Assert.Equal(5, pool.Count);
        // Renting from the spares and returning again keeps the sum at the peak.
        var back = RentMany(pool, 5);
        Assert.Equal(0, pool.Count);
        ReturnAll(pool, back);
        Assert.Equal(5, pool.Count);
        ReturnAll(pool, held.GetRange(5, 3));
        Assert.Equal(8, pool.Count);
    }

    [Fact]
    public void Spares_PeakAboveTheMaximum_KeepsOnlyTheMaximum()
    {
        var pool = new ReplaySegmentPool(2, 6, Window, new FakeTimeProvider());
        ReturnAll(pool, RentMany(pool, 20));
        Assert.Equal(6, pool.Count);
    }
}
