using Vaani.Workers.Protocol;

namespace Vaani.Workers.Tests.Protocol;

public sealed class FrameReaderTests
{
    private static byte[] Encode(params Frame[] frames)
    {
        using var stream = new MemoryStream();
        foreach (var f in frames)
            FrameCodec.WriteAsync(stream, f, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return stream.ToArray();
    }

    private static Frame[] Sample() =>
    [
        new Frame(FrameType.Audio, 1, Enumerable.Range(0, 640).Select(i => (byte)i).ToArray()),
        Frame.Empty(FrameType.Finalize, 2),
        new Frame(FrameType.Credit, uint.MaxValue, new byte[] { 1, 2, 3, 4 }),
        new Frame(FrameType.SttEvent, 3, Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray()),
    ];

    private static void AssertSame(Frame[] expected, List<Frame> actual)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Type, actual[i].Type);
            Assert.Equal(expected[i].Channel, actual[i].Channel);
            Assert.Equal(expected[i].Payload.ToArray(), actual[i].Payload.ToArray());
        }
    }

    /// <summary>Feeds <paramref name="bytes"/> in chunks of the given sizes (cycled), parsing after each.</summary>
    private static List<Frame> Feed(FrameReader reader, byte[] bytes, int[] chunkSizes)
    {
        var frames = new List<Frame>();
        int at = 0, i = 0;
        while (true)
        {
            while (reader.TryRead(out var f)) frames.Add(f);
            if (at == bytes.Length) break;
            var room = reader.GetReceiveBuffer();
            Assert.False(room.IsEmpty);
            int n = Math.Min(Math.Min(chunkSizes[i++ % chunkSizes.Length], room.Length), bytes.Length - at);
            bytes.AsSpan(at, n).CopyTo(room.Span);
            reader.Advance(n);
            at += n;
        }
        reader.EndOfStream();
        return frames;
    }

    [Fact]
    public void TryRead_ManyFramesInOneReceive_AllHandedOutWithoutAnotherReceive()
    {
        var frames = Sample();
        var reader = new FrameReader();
        var bytes = Encode(frames);
        bytes.CopyTo(reader.GetReceiveBuffer().Span);
        reader.Advance(bytes.Length);

        var read = new List<Frame>();
        while (reader.TryRead(out var f)) read.Add(f);

        AssertSame(frames, read);
        Assert.Equal(0, reader.Buffered);
    }

    [Theory]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { 5, 3, 100 })]
    [InlineData(new[] { 9 })]
    [InlineData(new[] { 649, 1, 2 })]
    public void TryRead_BytesArriveInPieces_SameFramesInOrder(int[] chunkSizes)
    {
        var frames = Sample();
        // A small buffer, so frames straddle its end and get moved to the front.
        AssertSame(frames, Feed(new FrameReader(bufferSize: 16), Encode(frames), chunkSizes));
    }

    [Fact]
    public void TryRead_FrameLargerThanTheBuffer_GrowsForItAndShrinksBackAfter()
    {
        var big = new Frame(FrameType.TtsAudio, 9, Enumerable.Range(0, 5000).Select(i => (byte)(i % 251)).ToArray());
        var small = new Frame(FrameType.Credit, 9, new byte[] { 7, 7, 7, 7 });
        var reader = new FrameReader(bufferSize: 64);

        AssertSame([big, small], Feed(reader, Encode(big, small), [64]));
        Assert.Equal(64, reader.GetReceiveBuffer().Length);
    }

    [Fact]
    public void TryRead_DeclaredLengthOverLimit_RefusedFromTheHeaderBeforeTheBufferGrows()
    {
        var header = new byte[Frame.HeaderSize];
        FrameCodec.WriteHeader(header, FrameType.Audio, 1, 1001);
        var reader = new FrameReader(bufferSize: 64, maxPayloadSize: 1000);
        header.CopyTo(reader.GetReceiveBuffer().Span);
        reader.Advance(header.Length);

        var ex = Assert.Throws<ProtocolException>(() => reader.TryRead(out _));

        Assert.Equal("frame_too_large", ex.Code);
        Assert.Contains("1001", ex.Message);
    }

    [Theory]
    [InlineData(4, "frame header (4 of 9 bytes)")]
    [InlineData(12, "Audio frame (3 of 10 payload bytes)")]
    public void EndOfStream_InsideAFrame_ThrowsTruncatedFrame(int received, string detail)
    {
        var bytes = new byte[Frame.HeaderSize + 10];
        FrameCodec.WriteHeader(bytes, FrameType.Audio, 1, 10);
        var reader = new FrameReader();
        bytes.AsSpan(0, received).CopyTo(reader.GetReceiveBuffer().Span);
        reader.Advance(received);

        Assert.False(reader.TryRead(out _));
        var ex = Assert.Throws<ProtocolException>(reader.EndOfStream);

        Assert.Equal("truncated_frame", ex.Code);
        Assert.Contains(detail, ex.Message);
    }

    /// <summary>A stream that returns at most <c>max</c> bytes per read, as a socket may.</summary>
    private sealed class Trickle(byte[] bytes, int max) : MemoryStream(bytes)
    {
        public int Reads { get; private set; }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reads++;
            return base.ReadAsync(buffer[..Math.Min(max, buffer.Length)], cancellationToken);
        }
    }

    [Fact]
    public async Task ReadAsync_ReadsOnlyWhenTheBytesHeldDoNotCompleteAFrame_NullAtTheEnd()
    {
        var frames = Sample();
        var bytes = Encode(frames);
        using var whole = new Trickle(bytes, int.MaxValue);
        var reader = new FrameReader();
        var read = new List<Frame>();
        while (await reader.ReadAsync(whole, CancellationToken.None) is { } f) read.Add(f);
        AssertSame(frames, read);
        Assert.Equal(2, whole.Reads); // everything, then the end of the stream

        using var trickle = new Trickle(bytes, 7);
        reader = new FrameReader(bufferSize: 32);
        read.Clear();
        while (await reader.ReadAsync(trickle, CancellationToken.None) is { } f) read.Add(f);
        AssertSame(frames, read);
    }
}
