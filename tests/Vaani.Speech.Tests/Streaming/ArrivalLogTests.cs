using Vaani.Speech.Streaming;

namespace Vaani.Speech.Tests.Streaming;

public sealed class ArrivalLogTests
{
    [Fact]
    public void TryFind_Empty_FindsNothing()
    {
        var log = new ArrivalLog();
        Assert.False(log.TryFind(0, out _));
        Assert.Equal(0, log.Count);
    }

    [Theory]
    [InlineData(1, 100)]     // inside the first piece
    [InlineData(640, 100)]   // the first piece's last byte
    [InlineData(641, 200)]   // the second piece's first byte
    [InlineData(1920, 300)]  // the newest piece's end
    public void TryFind_ReturnsTheArrivalOfThePieceHoldingTheByteBeforeThePosition(long position, long expected)
    {
        var log = new ArrivalLog();
        log.Record(640, 100);
        log.Record(1280, 200);
        log.Record(1920, 300);

        Assert.True(log.TryFind(position, out var at));
        Assert.Equal(expected, at);
    }

    [Fact]
    public void TryFind_BeyondTheNewestPiece_FindsNothing()
    {
        var log = new ArrivalLog();
        log.Record(640, 100);
        Assert.False(log.TryFind(641, out _));
    }

    [Fact]
    public void Record_BeyondCapacity_OverwritesTheOldestInOrder()
    {
        var log = new ArrivalLog();
        int pieces = ArrivalLog.Capacity * 2 + 7;
        for (int i = 1; i <= pieces; i++) log.Record(i * 640L, i * 10L);

        Assert.Equal(ArrivalLog.Capacity, log.Count);
        int oldest = pieces - ArrivalLog.Capacity + 1;
        // Every remembered piece is found where it is, across the wrap of the ring.
        for (int i = oldest; i <= pieces; i++)
        {
            Assert.True(log.TryFind(i * 640L, out var at));
            Assert.Equal(i * 10L, at);
        }
        // A position older than every piece kept reads the oldest kept, as the nearest arrival known.
        Assert.True(log.TryFind(640, out var early));
        Assert.Equal(oldest * 10L, early);
    }
}
