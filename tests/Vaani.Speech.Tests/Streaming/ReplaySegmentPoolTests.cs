using Vaani.Speech.Streaming;

namespace Vaani.Speech.Tests.Streaming;

public sealed class ReplaySegmentPoolTests
{
    [Fact]
    public void Rent_Empty_AllocatesSegmentOutsideTheYoungGenerations()
    {
        var pool = new ReplaySegmentPool(4);
        var segment = pool.Rent();
        Assert.Equal(ReplaySegmentPool.SegmentSize, segment.Length);
        // The pinned object heap is collected with the oldest generation: a segment held for
        // seconds is never promoted (copied) out of a young one.
        Assert.Equal(GC.MaxGeneration, GC.GetGeneration(segment));
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
        Assert.Same(second, pool.Rent());
        Assert.Same(first, pool.Rent());
        Assert.Equal(0, pool.Count);
        Assert.NotSame(first, pool.Rent());
    }

    [Fact]
    public void Return_PoolFull_KeepsOnlyCapacity()
    {
        var pool = new ReplaySegmentPool(2);
        for (int i = 0; i < 5; i++)
            pool.Return(new byte[ReplaySegmentPool.SegmentSize]);
        Assert.Equal(2, pool.Count);
    }

    [Fact]
    public void Return_WrongSize_Throws()
    {
        var pool = new ReplaySegmentPool(2);
        var error = Assert.Throws<ArgumentException>(() => pool.Return(new byte[100]));
        Assert.Contains("8192", error.Message, StringComparison.Ordinal);
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
}
