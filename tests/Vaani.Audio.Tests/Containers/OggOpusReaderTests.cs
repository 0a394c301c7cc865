using Vaani.Audio.Containers;

namespace Vaani.Audio.Tests.Containers;

public class OggOpusReaderTests
{
    /// <summary>A sox sine at <paramref name="rate"/> encoded by opusenc.</summary>
    private static byte[] OpusencSine(int rate, double seconds, int channels = 1, double frequency = 440)
    {
        using var dir = new Tool.TempDir();
        Tool.Run("sox", ["-n", "-r", rate.ToString(), "-c", channels.ToString(), "-b", "16", dir.File("s.wav"),
            "synth", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "sine", frequency.ToString(), "vol", "0.5"]);
        Tool.Run("opusenc", ["--quiet", "--bitrate", "32", dir.File("s.wav"), dir.File("s.opus")]);
        return File.ReadAllBytes(dir.File("s.opus"));
    }

    private static readonly Lazy<byte[]> Reference = new(() => OpusencSine(16000, 1.37));

    [Theory]
    [InlineData(48000)]
    [InlineData(16000)]
    [InlineData(8000)]
    public void ReadToEnd_OpusencFile_ExactDurationAndFrequency(int outputRate)
    {
        using var reader = new OggOpusReader(new MemoryStream(Reference.Value), new OggOpusReaderOptions { OutputSampleRate = outputRate });
        short[] pcm = reader.ReadToEnd();

        Assert.Equal(1, reader.Channels);
        Assert.Equal(16000, reader.Head.InputSampleRate);
        Assert.Equal((int)Math.Round(1.37 * outputRate), pcm.Length);
        Assert.InRange(TestSignals.EstimateFrequency(pcm, outputRate), 437, 443);
        Assert.InRange(TestSignals.Rms(pcm), 0.28, 0.43);
    }

    [Fact]
    public void ReadToEnd_OpusencStereoDownmixed_DecodesMono()
    {
        byte[] ogg = OpusencSine(48000, 0.8, channels: 2, frequency: 1000);
        using var reader = new OggOpusReader(new MemoryStream(ogg), new OggOpusReaderOptions { OutputChannels = 1, OutputSampleRate = 24000 });
        short[] pcm = reader.ReadToEnd();
        Assert.Equal(2, reader.Head.Channels);
        Assert.Equal(19200, pcm.Length);
        Assert.InRange(TestSignals.EstimateFrequency(pcm, 24000), 990, 1010);
    }

    [Fact]
    public void Read_SmallBuffers_SameSamplesAsReadToEnd()
    {
        using var whole = new OggOpusReader(new MemoryStream(Reference.Value));
        short[] expected = whole.ReadToEnd();
        using var reader = new OggOpusReader(new MemoryStream(Reference.Value));
        var actual = new List<short>();
        var buffer = new short[77];
        int n;
        while ((n = reader.Read(buffer)) > 0)
            actual.AddRange(buffer.AsSpan(0, n));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ReadToEnd_OwnWriterOutput_RoundTripsExactLength()
    {
        short[] input = TestSignals.Sine(12000, 0.731, 500, 0.4, 2);
        var ogg = new MemoryStream();
        using (var writer = new OggOpusWriter(ogg, 12000, 2))
        {
            writer.Write(input);
            writer.Complete();
        }
        ogg.Position = 0;
        using var reader = new OggOpusReader(ogg, new OggOpusReaderOptions { OutputSampleRate = 12000 });
        short[] output = reader.ReadToEnd();
        Assert.Equal(input.Length, output.Length);
        Assert.InRange(TestSignals.EstimateFrequency(TestSignals.Channel(output, 2, 1), 12000), 495, 505);
    }

    [Fact]
    public void Constructor_CorruptedCrc_ThrowsCrcMismatch()
    {
        byte[] ogg = (byte[])Reference.Value.Clone();
        ogg[ogg.Length / 2] ^= 0x40;
        var ex = Assert.Throws<AudioFormatException>(() =>
        {
            using var reader = new OggOpusReader(new MemoryStream(ogg));
            reader.ReadToEnd();
        });
        Assert.Contains("CRC mismatch", ex.Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.999)]
    public void ReadToEnd_TruncatedInput_ThrowsTruncated(double keep)
    {
        byte[] ogg = Reference.Value[..(int)(Reference.Value.Length * keep)];
        var ex = Assert.Throws<AudioFormatException>(() =>
        {
            using var reader = new OggOpusReader(new MemoryStream(ogg));
            reader.ReadToEnd();
        });
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void ReadToEnd_InputEndsBetweenPagesBeforeEos_ThrowsTruncated()
    {
        // Cut after the last complete page that precedes the end-of-stream page.
        var pages = new OggPageReader(new MemoryStream(Reference.Value), long.MaxValue);
        long beforeLast = 0;
        while (pages.ReadPage() is { IsEndOfStream: false })
            beforeLast = pages.Position;
        var ex = Assert.Throws<AudioFormatException>(() =>
        {
            using var reader = new OggOpusReader(new MemoryStream(Reference.Value[..(int)beforeLast]));
            reader.ReadToEnd();
        });
        Assert.Contains("before the end-of-stream page", ex.Message);
    }

    [Fact]
    public void Constructor_Garbage_ThrowsNotOgg()
    {
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        var ex = Assert.Throws<AudioFormatException>(() => new OggOpusReader(new MemoryStream(garbage)));
        Assert.Contains("not an Ogg stream", ex.Message);
    }

    [Fact]
    public void Constructor_OggVorbis_ThrowsNotOpus()
    {
        using var dir = new Tool.TempDir();
        Tool.Run("sox", ["-n", "-r", "16000", "-c", "1", dir.File("v.ogg"), "synth", "0.3", "sine", "440"]);
        var ex = Assert.Throws<AudioFormatException>(() => new OggOpusReader(File.OpenRead(dir.File("v.ogg"))));
        Assert.Contains("Vorbis", ex.Message);
    }

    [Fact]
    public void ReadToEnd_LongerThanMaxDuration_ThrowsLimit()
    {
        using var reader = new OggOpusReader(new MemoryStream(Reference.Value), new OggOpusReaderOptions { MaxDuration = TimeSpan.FromSeconds(1) });
        var ex = Assert.Throws<AudioFormatException>(() => reader.ReadToEnd());
        Assert.Contains("longer than the limit of 1 s", ex.Message);
    }

    [Fact]
    public void ReadToEnd_PacketOverLimit_ThrowsPacketLimit()
    {
        using var reader = new OggOpusReader(new MemoryStream(Reference.Value), new OggOpusReaderOptions { MaxPacketBytes = 20 });
        var ex = Assert.Throws<AudioFormatException>(() => reader.ReadToEnd());
        Assert.Contains("exceeds the limit of 20 bytes", ex.Message);
    }
}
