using System.Buffers.Binary;
using Vaani.Workers.Protocol;
using Vaani.Workers.Tests.Infrastructure;

namespace Vaani.Workers.Tests.Protocol;

/// <summary>The frame format: what <see cref="FrameCodec"/> writes, read back by the <see cref="FrameReader"/> both processes use.</summary>
public sealed class FrameCodecTests
{

    [Fact]
    public async Task ReadAsync_FramesWrittenByWriteAsync_ReturnsSameTypeChannelAndPayload()
    {
        using var stream = new MemoryStream();
        await FrameCodec.WriteAsync(stream, new Frame(FrameType.Audio, 7, new byte[] { 1, 2, 3 }), CancellationToken.None);
        await FrameCodec.WriteAsync(stream, Frame.Empty(FrameType.Finalize, uint.MaxValue), CancellationToken.None);
        stream.Position = 0;

        var first = await stream.ReadFrameAsync();
        var second = await stream.ReadFrameAsync();
        var end = await stream.ReadFrameAsync();

        Assert.Equal(FrameType.Audio, first!.Value.Type);
        Assert.Equal(7u, first.Value.Channel);
        Assert.Equal(new byte[] { 1, 2, 3 }, first.Value.Payload.ToArray());
        Assert.Equal(FrameType.Finalize, second!.Value.Type);
        Assert.Equal(uint.MaxValue, second.Value.Channel);
        Assert.Null(end);
    }

    [Fact]
    public async Task ReadAsync_HeaderLayout_IsLengthTypeChannelLittleEndian()
    {
        using var stream = new MemoryStream();
        await FrameCodec.WriteAsync(stream, new Frame(FrameType.Credit, 0x01020304, new byte[] { 9, 9 }), CancellationToken.None);
        var bytes = stream.ToArray();
        Assert.Equal(new byte[] { 2, 0, 0, 0, (byte)FrameType.Credit, 4, 3, 2, 1, 9, 9 }, bytes);
    }

    [Fact]
    public async Task ReadAsync_DeclaredLengthOverLimit_ThrowsFrameTooLarge()
    {
        var header = new byte[Frame.HeaderSize];
        FrameCodec.WriteHeader(header, FrameType.Audio, 1, Frame.MaxPayloadSize + 1);
        // No payload follows: the reader must refuse from the header alone, without allocating it.
        using var stream = new MemoryStream(header);

        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await stream.ReadFrameAsync());

        Assert.Equal("frame_too_large", ex.Code);
        Assert.Contains("1048577", ex.Message);
    }

    [Fact]
    public async Task ReadAsync_PayloadCutShort_ThrowsTruncatedFrame()
    {
        var bytes = new byte[Frame.HeaderSize + 3];
        FrameCodec.WriteHeader(bytes, FrameType.Audio, 1, 10);
        using var stream = new MemoryStream(bytes);

        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await stream.ReadFrameAsync());

        Assert.Equal("truncated_frame", ex.Code);
    }

    [Fact]
    public async Task ReadAsync_UnknownType_ThrowsUnknownFrameType()
    {
        var bytes = new byte[Frame.HeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 0);
        bytes[4] = 0xEE;
        using var stream = new MemoryStream(bytes);

        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await stream.ReadFrameAsync());

        Assert.Equal("unknown_frame_type", ex.Code);
    }

    [Fact]
    public void ReadHeader_EveryTypeByte_AcceptedExactlyWhenItIsAFrameType()
    {
        var header = new byte[Frame.HeaderSize];
        for (int b = 0; b < 256; b++)
        {
            header[4] = (byte)b;
            bool accepted;
            try { accepted = FrameCodec.ReadHeader(header).Type == (FrameType)b; }
            catch (ProtocolException ex) when (ex.Code == "unknown_frame_type") { accepted = false; }
            Assert.True(accepted == Enum.IsDefined((FrameType)b), $"type byte 0x{b:x2}");
        }
    }

    [Fact]
    public async Task WriteAsync_PayloadOverLimit_ThrowsFrameTooLarge()
    {
        using var stream = new MemoryStream();
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () =>
            await FrameCodec.WriteAsync(stream, new Frame(FrameType.Audio, 1, new byte[Frame.MaxPayloadSize + 1]), CancellationToken.None));
        Assert.Equal("frame_too_large", ex.Code);
        Assert.Equal(0, stream.Length);
    }
}
