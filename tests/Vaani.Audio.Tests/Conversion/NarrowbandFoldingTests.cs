using System.Buffers;
using Vaani.Audio.Codecs;
using Vaani.Audio.Conversion;
using Vaani.Audio.Pcm;
using Vaani.Audio.Tests.Support;

namespace Vaani.Audio.Tests.Conversion;

public class NarrowbandFoldingTests
{
    private static float[] Wide(byte[] linear16)
    {
        var f = new float[linear16.Length / 2];
        PcmConvert.Linear16BytesToFloat(linear16, f);
        return f;
    }

    [Fact]
    public void Convert_FoldNarrowband_MirrorsBasebandIntoUpperBand()
    {
        short[] pcm = Signals.SineShort(1000, 8000, 8000, 0.5);
        var ulaw = new byte[pcm.Length];
        G711.MulawEncode(pcm, ulaw);

        var folding = new AudioConverter(AudioFormat.Mulaw(8000), AudioFormat.Linear16(16000), foldNarrowband: true);
        Assert.True(folding.FoldsNarrowband);
        float[] folded = Wide(Chunked.Convert(folding, ulaw, 160));
        float[] resampled = Wide(Chunked.Convert(new AudioConverter(AudioFormat.Mulaw(8000), AudioFormat.Linear16(16000)), ulaw, 160));
        Assert.Equal(16000, folded.Length);
        Assert.Equal(16000, resampled.Length);

        // Zero insertion at gain 1 splits the 0.5 tone into two 0.25 tones, at f and 8000 - f:
        // Goertzel power A²/2 = 0.03125 each (μ-law adds about 1 % error).
        var mid = folded.AsSpan(1600, 12800);
        Assert.InRange(Signals.Goertzel(mid, 1000, 16000), 0.030, 0.0325);
        Assert.InRange(Signals.Goertzel(mid, 7000, 16000), 0.030, 0.0325);
        // The band-limited resampler keeps the tone at full level and leaves 4–8 kHz empty.
        var plain = resampled.AsSpan(1600, 12800);
        Assert.InRange(Signals.Goertzel(plain, 1000, 16000), 0.120, 0.130);
        Assert.True(Signals.Goertzel(plain, 7000, 16000) < 0.125e-6, $"image at 7 kHz without folding: {Signals.Goertzel(plain, 7000, 16000)}");
    }

    [Fact]
    public void Convert_FoldNarrowband_IdenticalToSoxUpsample()
    {
        var rng = new Random(3);
        float[] s = Signals.Sine(440, 8000, 4001, 0.4);
        for (int i = 0; i < s.Length; i++)
            s[i] += (float)((rng.NextDouble() - 0.5) * 0.2);
        var input = new byte[s.Length * 2];
        PcmConvert.FloatToLinear16Bytes(s, input);

        byte[] ours = Chunked.Convert(new AudioConverter(AudioFormat.Linear16(8000), AudioFormat.Linear16(16000), foldNarrowband: true), input, 333);
        byte[] sox = Sox.ConvertRaw(input,
            ["-D", "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1"],
            ["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16"], "upsample", "2");
        Assert.Equal(sox, ours);
    }

    public static TheoryData<AudioFormat, AudioFormat> FoldedPairs => new()
    {
        { AudioFormat.Mulaw(8000), AudioFormat.Linear16(16000) },
        { AudioFormat.Alaw(8000, 2), AudioFormat.Float32(16000, 2) },
        { AudioFormat.Linear16(8000, 2), AudioFormat.Linear16(16000) },
        { AudioFormat.Float32(8000), AudioFormat.Mulaw(16000, 2) },
    };

    [Theory]
    [MemberData(nameof(FoldedPairs))]
    public void Convert_FoldNarrowbandOddChunkSizes_ByteIdenticalOutput(AudioFormat from, AudioFormat to)
    {
        int frames = AudioConverter.BlockFrames * 3 + 17;
        var rng = new Random(11);
        float[] samples = Signals.Sine(523, from.SampleRate, frames * from.Channels, 0.6);
        for (int i = 0; i < samples.Length; i++)
            samples[i] += (float)(rng.NextDouble() * 0.1);
        var input = new byte[samples.Length * from.BytesPerSample];
        SampleCodec.Encode(from.Encoding, samples, input);

        var converter = new AudioConverter(from, to, foldNarrowband: true);
        Assert.True(converter.FoldsNarrowband);
        byte[] whole = Chunked.Convert(converter, input, input.Length);
        Assert.Equal(frames * 2 * to.BytesPerFrame, whole.Length);
        foreach (int chunk in new[] { 1, 3, 7, 160, 333, 4097 })
            Assert.True(whole.AsSpan().SequenceEqual(Chunked.Convert(converter, input, chunk)), $"chunk {chunk} differs");
        // Every odd output frame is an inserted zero.
        var f = new float[whole.Length / to.BytesPerSample];
        SampleCodec.Decode(to.Encoding, whole, f);
        for (int i = 1; i < frames * 2; i += 2)
            for (int c = 0; c < to.Channels; c++)
                Assert.Equal(0f, f[(i * to.Channels) + c]);
    }

    [Theory]
    [InlineData(8000, 48000)]
    [InlineData(16000, 32000)]
    [InlineData(8000, 8000)]
    [InlineData(11025, 22050)]
    public void Constructor_FoldNarrowbandOtherRates_ResamplesAsWithoutTheFlag(int fromRate, int toRate)
    {
        var from = AudioFormat.Linear16(fromRate);
        var to = AudioFormat.Linear16(toRate);
        byte[] input = Signals.Bytes(Signals.SineShort(700, fromRate, fromRate / 5, 0.5));

        var flagged = new AudioConverter(from, to, foldNarrowband: true);
        Assert.False(flagged.FoldsNarrowband);
        Assert.False(AudioConverter.WouldFold(from, to));
        Assert.Equal(Chunked.Convert(new AudioConverter(from, to), input, 321), Chunked.Convert(flagged, input, 321));
    }

    [Fact]
    public void Constructor_WithoutFlag_DoesNotFold()
    {
        Assert.True(AudioConverter.WouldFold(AudioFormat.Mulaw(8000), AudioFormat.Linear16(16000)));
        Assert.False(new AudioConverter(AudioFormat.Mulaw(8000), AudioFormat.Linear16(16000)).FoldsNarrowband);
    }
}
