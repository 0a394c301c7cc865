using Vaani.Speech.Streaming;

namespace Vaani.Speech.Tests.Streaming;

public sealed unsafe class StreamingCopyTests
{
    /// <summary>
    /// Every length and alignment around the line-sized middle: the bytes land exactly where they
    /// should and nothing before or after the destination range is touched.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(129)]
    [InlineData(640)]
    [InlineData(1000)]
    [InlineData(8192)]
    public void Copy_AnyLengthAnyAlignment_CopiesExactlyTheRange(int length)
    {
        var source = Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 3)).ToArray();
        var destination = GC.AllocateArray<byte>(length + 256, pinned: true);
        fixed (byte* d = destination)
        {
            for (int offset = 0; offset < 64; offset += 5)
            {
                Array.Fill(destination, (byte)0xEE);
                StreamingCopy.Copy(source, d + offset + 64);
                Assert.True(destination.AsSpan(0, offset + 64).IndexOfAnyExcept((byte)0xEE) < 0, "bytes before the range were written");
                Assert.Equal(source, destination.AsSpan(offset + 64, length).ToArray());
                Assert.True(destination.AsSpan(offset + 64 + length).IndexOfAnyExcept((byte)0xEE) < 0, "bytes after the range were written");
            }
        }
    }
}
