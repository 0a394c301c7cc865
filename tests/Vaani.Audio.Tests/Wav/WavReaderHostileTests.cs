using System.Buffers.Binary;
using Vaani.Audio.Tests.Support;
using Vaani.Audio.Wav;

namespace Vaani.Audio.Tests.Wav;

public class WavReaderHostileTests
{
    private static readonly AudioFormat Mono16 = AudioFormat.Linear16(16000);

    private static byte[] ValidFile(int frames = 100) =>
        WavWriter.ToBytes(Mono16, Signals.Bytes(Signals.SineShort(500, 16000, frames)));

    private static byte[] Chunk(string id, byte[] body, bool pad = true)
    {
        var c = new byte[8 + body.Length + (pad ? body.Length & 1 : 0)];
        System.Text.Encoding.ASCII.GetBytes(id).CopyTo(c, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(4), (uint)body.Length);
        body.CopyTo(c, 8);
        return c;
    }

    private static async Task<(WavStreamReader Reader, byte[] Data)> ReadStreaming(byte[] file, WavReadLimits? limits = null)
    {
        WavStreamReader reader = await WavStreamReader.OpenAsync(new TrickleStream(file, 61), limits);
        var ms = new MemoryStream();
        var buf = new byte[64];
        int n;
        while ((n = await reader.ReadAsync(buf)) > 0)
            ms.Write(buf, 0, n);
        return (reader, ms.ToArray());
    }

    [Fact]
    public async Task Read_TruncatedHeader_ThrowsTruncatedAtEveryLength()
    {
        byte[] file = ValidFile();
        for (int len = 0; len < 44; len++)
        {
            var ex = Assert.Throws<AudioFormatException>(() => WavReader.Read(file.AsSpan(0, len)));
            Assert.Contains(len == 0 ? "empty" : len < 12 ? "12" : "truncated", ex.Message);
            await Assert.ThrowsAsync<AudioFormatException>(async () => await ReadStreaming(file[..len]));
        }
    }

    [Fact]
    public async Task Read_DataSizeLargerThanFile_ReturnsWhatIsThereAndFlagsTruncation()
    {
        byte[] file = ValidFile(100)[..(44 + 101)]; // 50.5 frames present of 100 declared
        WavAudio audio = WavReader.Read(file);
        Assert.True(audio.IsTruncated);
        Assert.Equal(100, audio.Data.Length);
        Assert.Equal(file.AsSpan(44, 100).ToArray(), audio.Data);

        var (reader, data) = await ReadStreaming(file);
        Assert.True(reader.IsTruncated);
        Assert.Equal(audio.Data, data);
    }

    [Fact]
    public async Task Read_StreamingSizeMarker_ReadsToEndOfFile()
    {
        byte[] file = ValidFile(100);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), 0xFFFFFFFF);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(40), 0xFFFFFFFF);
        WavAudio audio = WavReader.Read(file);
        Assert.Null(audio.Info.DeclaredDataBytes);
        Assert.False(audio.IsTruncated);
        Assert.Equal(200, audio.Data.Length);
        var (reader, data) = await ReadStreaming(file);
        Assert.False(reader.IsTruncated);
        Assert.Equal(audio.Data, data);
    }

    [Fact]
    public async Task Read_ZeroLengthData_ReturnsEmpty()
    {
        byte[] file = WavWriter.ToBytes(Mono16, []);
        Assert.Empty(WavReader.Read(file).Data);
        Assert.Empty((await ReadStreaming(file)).Data);
    }

    [Fact]
    public void Read_NotRiff_SaysWhatWasFound()
    {
        var ex = Assert.Throws<AudioFormatException>(() => WavReader.Read("OggS\0\0\0\0\0\0\0\0\0\0\0\0"u8));
        Assert.Contains("expected 'RIFF'", ex.Message);
        Assert.Contains("'OggS'", ex.Message);
        byte[] avi = ValidFile();
        "AVI "u8.CopyTo(avi.AsSpan(8));
        Assert.Contains("'WAVE'", Assert.Throws<AudioFormatException>(() => WavReader.Read(avi)).Message);
    }

    [Fact]
    public async Task Read_HugeDeclaredDataSize_RefusedByLimitWithoutAllocating()
    {
        byte[] file = ValidFile(100);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(40), 0xFFFFFFF0);
        var ex = Assert.Throws<AudioFormatException>(() => WavReader.Read(file));
        Assert.Contains("limit", ex.Message);

        // Unknown size: the streaming reader stops once it has seen more than the limit.
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(40), 0xFFFFFFFF);
        var small = new WavReadLimits { MaxDataBytes = 150 };
        var ex2 = await Assert.ThrowsAsync<AudioFormatException>(async () => await ReadStreaming(file, small));
        Assert.Contains("150", ex2.Message);
        Assert.Throws<AudioFormatException>(() => WavReader.Read(file, small));
    }

    [Fact]
    public void Read_UnknownChunksWithOddPadding_AreSkipped()
    {
        byte[] valid = ValidFile(10);
        byte[] fmt = valid[12..36];
        byte[] data = valid[36..];
        byte[] file = [.. valid[..12], .. Chunk("LIST", new byte[7]), .. fmt, .. Chunk("fact", [1, 0, 0, 0]), .. Chunk("junk", new byte[3]), .. data];
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), (uint)(file.Length - 8));
        WavAudio audio = WavReader.Read(file);
        Assert.Equal(valid[44..], audio.Data);
    }

    [Fact]
    public void Read_ChunkBeyondHeaderLimit_Throws()
    {
        byte[] valid = ValidFile(10);
        byte[] file = [.. valid[..12], .. Chunk("LIST", new byte[5000]), .. valid[12..]];
        var ex = Assert.Throws<AudioFormatException>(() => WavReader.Read(file, new WavReadLimits { MaxHeaderBytes = 4096 }));
        Assert.Contains("'LIST'", ex.Message);
        Assert.Equal(valid[44..], WavReader.Read(file).Data);
    }

    [Theory]
    [InlineData(20, (ushort)0x0055, "0x0055")] // MP3 format tag
    [InlineData(22, (ushort)0, "0 channels")]
    [InlineData(22, (ushort)9, "9 channels")]
    [InlineData(34, (ushort)12, "12 bits")]
    [InlineData(32, (ushort)3, "block_align")]
    public void Read_BadFmtFields_ExplainWhichField(int offset, ushort value, string expected)
    {
        byte[] file = ValidFile();
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(offset), value);
        var ex = Assert.Throws<AudioFormatException>(() => WavReader.Read(file));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Read_SampleRateOutOfRange_Throws()
    {
        byte[] file = ValidFile();
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(24), 96000);
        Assert.Contains("96000", Assert.Throws<AudioFormatException>(() => WavReader.Read(file)).Message);
    }

    [Fact]
    public void Read_DataBeforeFmt_Throws()
    {
        byte[] valid = ValidFile(10);
        byte[] file = [.. valid[..12], .. valid[36..], .. valid[12..36]];
        Assert.Contains("before the 'fmt ' chunk", Assert.Throws<AudioFormatException>(() => WavReader.Read(file)).Message);
    }

    [Fact]
    public async Task Read_RandomGarbageAndMutations_OnlyAudioFormatExceptions()
    {
        var rng = new Random(1234);
        byte[] valid = ValidFile(50);
        for (int iter = 0; iter < 3000; iter++)
        {
            byte[] input;
            if (iter % 3 == 0)
            {
                input = new byte[rng.Next(0, 200)];
                rng.NextBytes(input);
                if (iter % 2 == 0 && input.Length >= 12)
                {
                    "RIFF"u8.CopyTo(input);
                    "WAVE"u8.CopyTo(input.AsSpan(8));
                }
            }
            else
            {
                input = valid[..rng.Next(0, valid.Length + 1)];
                for (int k = rng.Next(1, 4); k > 0 && input.Length > 0; k--)
                    input[rng.Next(Math.Min(input.Length, 60))] = (byte)rng.Next(256);
            }
            try
            {
                WavAudio a = WavReader.Read(input);
                Assert.Equal(0, a.Data.Length % a.Format.BytesPerFrame);
            }
            catch (AudioFormatException)
            {
            }
            try
            {
                await ReadStreaming(input);
            }
            catch (AudioFormatException)
            {
            }
        }
    }

    [Fact]
    public void Read_Rf64WithDs64_UsesDs64DataSize()
    {
        byte[] valid = ValidFile(10);
        var ds64 = new byte[28];
        BinaryPrimitives.WriteUInt64LittleEndian(ds64.AsSpan(8), 20);
        byte[] file = [.. "RF64"u8, 0xFF, 0xFF, 0xFF, 0xFF, .. "WAVE"u8, .. Chunk("ds64", ds64), .. valid[12..36], .. "data"u8, 0xFF, 0xFF, 0xFF, 0xFF, .. valid[44..]];
        WavAudio audio = WavReader.Read(file);
        Assert.Equal(20, audio.Info.DeclaredDataBytes);
        Assert.Equal(valid[44..], audio.Data);
    }
}
