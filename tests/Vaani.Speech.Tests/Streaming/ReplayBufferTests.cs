using Vaani.Speech.Streaming;

namespace Vaani.Speech.Tests.Streaming;

public sealed class ReplayBufferTests
{
    private static byte[] Bytes(int start, int count) => Enumerable.Range(start, count).Select(i => (byte)(i % 251)).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(640)]
    [InlineData(8191)]
    [InlineData(8192)]
    [InlineData(20000)]
    public void AppendThenToArray_AnyChunking_ReturnsEverythingInOrder(int chunk)
    {
        using var buffer = new ReplayBuffer(1 << 20);
        var all = Bytes(0, 50_000);
        for (int i = 0; i < all.Length; i += chunk)
            buffer.Append(all.AsSpan(i, Math.Min(chunk, all.Length - i)));
        Assert.Equal(all, buffer.ToArray());
        Assert.Equal(0, buffer.StartPosition);
        Assert.Equal(all.Length, buffer.EndPosition);
    }

    [Fact]
    public void TrimTo_FinalEnd_KeepsOnlyLaterAudioAndAdvancesPositions()
    {
        using var buffer = new ReplayBuffer(1 << 20);
        var all = Bytes(0, 30_000);
        buffer.Append(all);
        buffer.TrimTo(12_345);
        Assert.Equal(12_345, buffer.StartPosition);
        Assert.Equal(30_000 - 12_345, buffer.Count);
        Assert.Equal(all[12_345..], buffer.ToArray());

        var more = Bytes(30_000, 5_000);
        buffer.Append(more);
        buffer.TrimTo(29_999);
        Assert.Equal([.. all[29_999..], .. more], buffer.ToArray());
    }

    [Fact]
    public void TrimTo_OutsideHeldRange_IsClamped()
    {
        using var buffer = new ReplayBuffer(1000);
        buffer.Append(Bytes(0, 500));
        buffer.TrimTo(-5);
        Assert.Equal(500, buffer.Count);
        buffer.TrimTo(10_000);
        Assert.Equal(0, buffer.Count);
        Assert.Equal(500, buffer.StartPosition);
        Assert.Empty(buffer.ToArray());
        buffer.Append(Bytes(0, 10));
        Assert.Equal(510, buffer.EndPosition);
    }

    [Fact]
    public void Append_BeyondCapacity_Refused()
    {
        using var buffer = new ReplayBuffer(1000);
        buffer.Append(Bytes(0, 900));
        Assert.Equal(100, buffer.Free);
        Assert.Throws<InvalidOperationException>(() => buffer.Append(Bytes(0, 101)));
        buffer.TrimTo(500);          // a final at 500 frees what came before it
        buffer.Append(Bytes(0, 600)); // 400 held + 600
        Assert.Equal(0, buffer.Free);
    }
    [Theory]
    [InlineData(1_500, 100)]  // the oldest byte held
    [InlineData(7_000, 640)]
    [InlineData(8_190, 5)]        // across a segment boundary
    [InlineData(12_000, 20_000)]  // across several, clipped at the end
    [InlineData(34_000, 64)]      // at the end: nothing
    public void CopyFrom_AnyPositionAfterTrim_ReturnsThoseBytes(long position, int length)
    {
        using var buffer = new ReplayBuffer(1 << 20);
        var all = Bytes(0, 40_000);
        buffer.Append(all.AsSpan(0, 2_000));
        buffer.TrimTo(1_500); // a final inside the first segment
        buffer.Append(all.AsSpan(2_000, 32_000));
        var destination = new byte[length];
        int n = buffer.CopyFrom(position, destination);
        int expected = (int)Math.Min(length, 34_000 - position);
        Assert.Equal(expected, n);
        Assert.Equal(all.AsSpan((int)position, expected).ToArray(), destination.AsSpan(0, n).ToArray());
    }

    [Fact]
    public void CopyFrom_OutsideHeldRange_Throws()
    {
        using var buffer = new ReplayBuffer(1000);
        buffer.Append(Bytes(0, 500));
        buffer.TrimTo(100);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyFrom(99, new byte[10]));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyFrom(501, new byte[10]));
    }
}
