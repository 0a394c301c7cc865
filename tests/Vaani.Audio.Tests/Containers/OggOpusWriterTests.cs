using Vaani.Audio.Containers;

namespace Vaani.Audio.Tests.Containers;

public class OggOpusWriterTests
{
    private static byte[] Encode(short[] pcm, int rate, int channels, OggOpusWriterOptions? options = null, int seed = 1)
    {
        var output = new MemoryStream();
        using var writer = new OggOpusWriter(output, rate, channels, options);
        // Arbitrary chunk sizes, including odd byte counts that split samples.
        byte[] bytes = TestSignals.ToBytes(pcm);
        var random = new Random(seed);
        for (int i = 0; i < bytes.Length;)
        {
            int n = Math.Min(bytes.Length - i, random.Next(1, 3000));
            writer.Write(bytes.AsSpan(i, n));
            i += n;
        }
        writer.Complete();
        return output.ToArray();
    }

    [Theory]
    [InlineData(16000, 1)]
    [InlineData(8000, 1)]
    [InlineData(48000, 2)]
    public void Complete_SineInChunks_OpusdecDecodesExactDurationAndFrequency(int rate, int channels)
    {
        short[] pcm = TestSignals.Sine(rate, 1.53, 440, 0.5, channels);
        using var dir = new Tool.TempDir();
        File.WriteAllBytes(dir.File("a.opus"), Encode(pcm, rate, channels));

        Tool.Run("opusdec", ["--quiet", "--rate", "48000", "--no-dither", dir.File("a.opus"), dir.File("a.raw")]);
        short[] decoded = TestSignals.ToShorts(File.ReadAllBytes(dir.File("a.raw")));

        // opusdec applies pre-skip and end trimming: the length is exactly the input's.
        Assert.Equal((int)(1.53 * 48000) * channels, decoded.Length);
        short[] left = TestSignals.Channel(decoded, channels, 0);
        Assert.InRange(TestSignals.EstimateFrequency(left, 48000), 437, 443);
        Assert.InRange(TestSignals.Rms(left), 0.28, 0.43); // sine at 0.5 has RMS 0.354
    }

    [Fact]
    public void Complete_Sine_FfmpegDecodesSameDurationAndFrequency()
    {
        short[] pcm = TestSignals.Sine(24000, 2.0, 440, 0.3);
        byte[] ogg = Encode(pcm, 24000, 1, new OggOpusWriterOptions { Bitrate = 24000 });
        short[] decoded = TestSignals.ToShorts(Tool.Run("ffmpeg",
            ["-hide_banner", "-loglevel", "error", "-f", "ogg", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", "24000", "pipe:1"], ogg));
        Assert.Equal(48000, decoded.Length);
        Assert.InRange(TestSignals.EstimateFrequency(decoded, 24000), 437, 443);
        Assert.InRange(TestSignals.Rms(decoded), 0.3 * 0.707 * 0.8, 0.3 * 0.707 * 1.2);
    }

    [Fact]
    public void Complete_Stream_HasHeaderPagesBosEosAndMonotonicGranules()
    {
        byte[] ogg = Encode(TestSignals.Sine(16000, 3, 300), 16000, 1, new OggOpusWriterOptions { PacketsPerPage = 10, Serial = 1234 });
        var reader = new OggPageReader(new MemoryStream(ogg), long.MaxValue);
        var pages = new List<OggPage>();
        while (reader.ReadPage() is { } page)
            pages.Add(page);

        Assert.True(pages[0].IsBeginOfStream);
        Assert.StartsWith("OpusHead", System.Text.Encoding.ASCII.GetString(pages[0].Body));
        Assert.Single(pages[0].Lacing);
        Assert.StartsWith("OpusTags", System.Text.Encoding.ASCII.GetString(pages[1].Body));
        Assert.True(pages[^1].IsEndOfStream);
        Assert.All(pages, p => Assert.Equal(1234u, p.Serial));
        Assert.Equal(Enumerable.Range(0, pages.Count).Select(i => (uint)i), pages.Select(p => p.Sequence));
        var granules = pages.Skip(2).Select(p => p.GranulePosition).ToList();
        Assert.Equal(granules.Order(), granules);
        // 3 s at 48 kHz plus pre-skip (lookahead 6.5 ms = 312 at 48 kHz for the VoIP application).
        int preSkip = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(pages[0].Body.AsSpan(10));
        Assert.Equal(3 * 48000 + preSkip, granules[^1]);
        Assert.InRange(pages.Count, 2 + 15, 2 + 16); // 150 packets, 10 per page
    }

    [Fact]
    public void Flush_MidStream_WritesPagesSoFar()
    {
        var output = new MemoryStream();
        using var writer = new OggOpusWriter(output, 16000, 1);
        long headers = output.Length;
        writer.Write(TestSignals.Sine(16000, 0.1, 440));
        Assert.Equal(headers, output.Length);
        writer.Flush();
        Assert.True(output.Length > headers);
    }

    [Fact]
    public void Constructor_UnsupportedRate_ThrowsAudioFormatException()
    {
        var ex = Assert.Throws<AudioFormatException>(() => new OggOpusWriter(new MemoryStream(), 44100, 1));
        Assert.Contains("44100", ex.Message);
    }
}

public class OggOpusAlignmentTests
{
    [Fact]
    public void Complete_SilenceThenTone_OpusdecOnsetStaysAligned()
    {
        // 300 ms of silence, then a tone: with the right pre-skip the onset decodes at 300 ms.
        short[] pcm = new short[16000 * 300 / 1000].Concat(TestSignals.Sine(16000, 0.5, 440)).ToArray();
        var ogg = new MemoryStream();
        using (var writer = new OggOpusWriter(ogg, 16000, 1))
        {
            writer.Write(pcm);
            writer.Complete();
        }
        using var dir = new Tool.TempDir();
        File.WriteAllBytes(dir.File("a.opus"), ogg.ToArray());
        Tool.Run("opusdec", ["--quiet", "--rate", "48000", "--no-dither", dir.File("a.opus"), dir.File("a.raw")]);
        short[] decoded = TestSignals.ToShorts(File.ReadAllBytes(dir.File("a.raw")));

        int onset = Array.FindIndex(decoded, s => Math.Abs((int)s) > 3000);
        Assert.InRange(onset, 48000 * 300 / 1000, 48000 * 302 / 1000);
    }
}
