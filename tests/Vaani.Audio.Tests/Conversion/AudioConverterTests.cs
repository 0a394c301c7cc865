using System.Buffers;
using Vaani.Audio.Codecs;
using Vaani.Audio.Conversion;
using Vaani.Audio.Pcm;
using Vaani.Audio.Tests.Support;

namespace Vaani.Audio.Tests.Conversion;

public class AudioConverterTests
{
    private static byte[] StereoLinear16(int rate, int frames, double leftHz, double rightHz)
    {
        short[] l = Signals.SineShort(leftHz, rate, frames, 0.5);
        short[] r = Signals.SineShort(rightHz, rate, frames, 0.5);
        var inter = new short[frames * 2];
        for (int i = 0; i < frames; i++)
        {
            inter[2 * i] = l[i];
            inter[(2 * i) + 1] = r[i];
        }
        return Signals.Bytes(inter);
    }

    public static TheoryData<AudioFormat, AudioFormat> FormatPairs => new()
    {
        { AudioFormat.Linear16(44100, 2), AudioFormat.Mulaw(8000) },
        { AudioFormat.Float32(48000, 2), AudioFormat.Linear16(16000, 2) },
        { AudioFormat.Alaw(8000), AudioFormat.Float32(24000, 2) },
        { AudioFormat.Linear16(16000, 3), AudioFormat.Linear16(16000) },
    };

    [Theory]
    [MemberData(nameof(FormatPairs))]
    public void Convert_OddChunkSizes_ByteIdenticalOutput(AudioFormat from, AudioFormat to)
    {
        int frames = from.SampleRate / 4 + 3;
        var rng = new Random(7);
        float[] samples = Signals.Sine(523, from.SampleRate, frames * from.Channels, 0.6);
        for (int i = 0; i < samples.Length; i++)
            samples[i] += (float)(rng.NextDouble() * 0.1);
        var input = new byte[samples.Length * from.BytesPerSample];
        SampleCodec.Encode(from.Encoding, samples, input);

        var converter = new AudioConverter(from, to);
        byte[] whole = Chunked.Convert(converter, input, input.Length);
        Assert.NotEmpty(whole);
        Assert.Equal(0, whole.Length % to.BytesPerFrame);
        foreach (int chunk in new[] { 1, 3, 7, 333, 4097 })
            Assert.True(whole.AsSpan().SequenceEqual(Chunked.Convert(converter, input, chunk)), $"chunk {chunk} differs");
    }

    [Fact]
    public void Convert_MulawEightKToLinear16SixteenK_PreservesSine()
    {
        short[] pcm = Signals.SineShort(440, 8000, 8000, 0.5);
        var ulaw = new byte[pcm.Length];
        G711.MulawEncode(pcm, ulaw);

        byte[] wide = Chunked.Convert(new AudioConverter(AudioFormat.Mulaw(8000), AudioFormat.Linear16(16000)), ulaw, 160);
        Assert.Equal(16000 * 2, wide.Length);
        var f = new float[16000];
        PcmConvert.Linear16BytesToFloat(wide, f);
        var mid = f.AsSpan(1600, 12800);
        Assert.InRange(Signals.ZeroCrossingFrequency(mid, 16000), 439.5, 440.5);
        Assert.InRange(Signals.Db(Signals.Rms(mid)), Signals.Db(0.5 / Math.Sqrt(2)) - 0.5, Signals.Db(0.5 / Math.Sqrt(2)) + 0.5);

        // And back: μ-law 8 kHz again is close to the original (μ-law's own ~38 dB SNR dominates).
        byte[] back = Chunked.Convert(new AudioConverter(AudioFormat.Linear16(16000), AudioFormat.Mulaw(8000)), wide, 321);
        Assert.Equal(8000, back.Length);
        double err = 0, sig = 0;
        for (int i = 800; i < 7200; i++)
        {
            double a = G711.MulawDecode(back[i]), b = G711.MulawDecode(ulaw[i]);
            err += (a - b) * (a - b);
            sig += b * b;
        }
        Assert.True(10 * Math.Log10(sig / err) > 30, $"round trip SNR {10 * Math.Log10(sig / err):F1} dB");
    }

    [Fact]
    public void Convert_FortyEightKStereoToSixteenKMono_AveragesChannels()
    {
        byte[] input = StereoLinear16(48000, 48000, 440, 1000);
        byte[] mono = Chunked.Convert(new AudioConverter(AudioFormat.Linear16(48000, 2), AudioFormat.Linear16(16000)), input, 1001);
        Assert.Equal(16000 * 2, mono.Length);
        var f = new float[16000];
        PcmConvert.Linear16BytesToFloat(mono, f);
        var mid = f.AsSpan(1600, 12800);
        // Each 0.5-amplitude tone appears at half amplitude: Goertzel power A²/2 = 0.25²/2 = 0.03125.
        Assert.InRange(Signals.Goertzel(mid, 440, 16000), 0.030, 0.0325);
        Assert.InRange(Signals.Goertzel(mid, 1000, 16000), 0.030, 0.0325);
    }

    [Fact]
    public void Convert_SameFormat_CopiesBytes()
    {
        byte[] input = StereoLinear16(16000, 100, 300, 600);
        var c = new AudioConverter(AudioFormat.Linear16(16000, 2), AudioFormat.Linear16(16000, 2));
        Assert.True(c.IsPassthrough);
        Assert.Equal(input, Chunked.Convert(c, input, 3));
    }

    [Fact]
    public void Convert_SplitSample_CarriesRemainder()
    {
        var c = new AudioConverter(AudioFormat.Linear16(8000), AudioFormat.Alaw(8000));
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(0, c.Convert(new byte[] { 0x00 }, output));
        Assert.Equal(1, c.PendingBytes);
        Assert.Equal(2, c.Convert(new byte[] { 0x40, 0x00, 0xC0 }, output)); // 0x4000, 0xC000
        Assert.Equal(new[] { G711.AlawEncode(16384), G711.AlawEncode(-16384) }, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Convert_NaNFloatInput_IsSilenced()
    {
        var c = new AudioConverter(AudioFormat.Float32(16000), AudioFormat.Linear16(8000));
        float[] s = Signals.Sine(200, 16000, 1600, 0.5);
        s[800] = float.NaN;
        byte[] output = Chunked.Convert(c, Signals.Bytes(s), 640);
        Assert.Equal(1600, output.Length);
    }

    [Fact]
    public void Constructor_UnsupportedChannelMapping_Throws()
    {
        var ex = Assert.Throws<AudioFormatException>(() => new AudioConverter(AudioFormat.Linear16(16000, 6), AudioFormat.Linear16(16000, 2)));
        Assert.Contains("6 channels to 2", ex.Message);
        Assert.Throws<AudioFormatException>(() => new AudioConverter(new AudioFormat(AudioEncoding.Opus, 48000), AudioFormat.Linear16(16000)));
    }
}
