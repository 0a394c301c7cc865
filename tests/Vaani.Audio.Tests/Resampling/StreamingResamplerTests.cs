using Vaani.Audio.Resampling;
using Vaani.Audio.Tests.Support;

namespace Vaani.Audio.Tests.Resampling;

public class StreamingResamplerTests
{
    public static TheoryData<int, int> Pairs => new()
    {
        { 44100, 48000 }, { 48000, 44100 }, { 48000, 16000 }, { 8000, 16000 }, { 16000, 8000 },
        { 22050, 8000 }, { 8000, 44100 }, { 24000, 16000 }, { 16000, 48000 }, { 44100, 22050 },
    };

    private static float[] RunChunked(StreamingResampler r, float[] input, int chunk)
    {
        var result = new List<float>();
        var outBuf = new float[r.GetMaxOutputLength(chunk)];
        for (int pos = 0; pos < input.Length; pos += chunk)
        {
            int n = Math.Min(chunk, input.Length - pos);
            int w = r.Process(input.AsSpan(pos, n), outBuf);
            result.AddRange(outBuf.AsSpan(0, w));
        }
        var tail = new float[r.MaxFlushLength];
        int t = r.Flush(tail);
        result.AddRange(tail.AsSpan(0, t));
        return [.. result];
    }

    private static float[] TestSignal(int rate, int count)
    {
        var rng = new Random(42);
        float[] s = Signals.Sine(997, rate, count, 0.4);
        for (int i = 0; i < s.Length; i++)
            s[i] += (float)((rng.NextDouble() - 0.5) * 0.2);
        return s;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Process_AnyChunking_BitIdenticalOutput(int inRate, int outRate)
    {
        float[] input = TestSignal(inRate, inRate / 2 + 123);
        var r = new StreamingResampler(inRate, outRate);
        float[] whole = RunChunked(r, input, input.Length);
        foreach (int chunk in new[] { 1, 7, 160, 4096 })
        {
            float[] chunked = RunChunked(r, input, chunk); // Flush resets, so the instance is reused
            Assert.True(whole.AsSpan().SequenceEqual(chunked), $"chunk {chunk}: output differs from whole-buffer output");
        }
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void ProcessAndFlush_WholeStream_OutputLengthIsInputTimesRatio(int inRate, int outRate)
    {
        int n = inRate / 3 + 17;
        float[] output = RunChunked(new StreamingResampler(inRate, outRate), TestSignal(inRate, n), 1000);
        long expected = ((long)n * outRate + inRate - 1) / inRate;
        Assert.Equal(expected, output.Length);
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Process_Sine_KeepsFrequencyAndLevelLikeSox(int inRate, int outRate)
    {
        const double freq = 1000;
        float[] input = Signals.Sine(freq, inRate, inRate, 0.5); // 1 s at -6 dBFS
        float[] ours = RunChunked(new StreamingResampler(inRate, outRate), input, 160);
        byte[] soxBytes = Sox.ConvertRaw(Signals.Bytes(input),
            ["-t", "raw", "-r", inRate.ToString(), "-e", "float", "-b", "32", "-c", "1"],
            ["-t", "raw", "-e", "float", "-b", "32"], "rate", outRate.ToString());
        float[] sox = Signals.Floats(soxBytes);

        // Compare the steady middle (edges are filter start-up in both).
        int skip = outRate / 20;
        var oursMid = ours.AsSpan(skip, ours.Length - 2 * skip);
        var soxMid = sox.AsSpan(skip, Math.Min(sox.Length, ours.Length) - 2 * skip);
        double oursRmsDb = Signals.Db(Signals.Rms(oursMid));
        double soxRmsDb = Signals.Db(Signals.Rms(soxMid));
        Assert.InRange(oursRmsDb - soxRmsDb, -0.5, 0.5);
        Assert.InRange(oursRmsDb, Signals.Db(0.5 / Math.Sqrt(2)) - 0.1, Signals.Db(0.5 / Math.Sqrt(2)) + 0.1);
        Assert.InRange(Signals.ZeroCrossingFrequency(oursMid, outRate), freq * 0.999, freq * 1.001);
        Assert.InRange(Signals.ZeroCrossingFrequency(soxMid, outRate), freq * 0.999, freq * 1.001);

        // Both are zero-delay linear-phase filters, so they line up sample for sample.
        double diff = 0;
        for (int i = 0; i < oursMid.Length; i++)
            diff += Math.Pow(oursMid[i] - soxMid[i], 2);
        double errorDb = Signals.Db(Math.Sqrt(diff / oursMid.Length)) - soxRmsDb;
        Assert.True(errorDb < -80, $"difference from sox is only {errorDb:F1} dB below the signal");
    }

    [Theory]
    [InlineData(48000, 16000, 12000)]
    [InlineData(44100, 8000, 5000)]
    [InlineData(16000, 8000, 4400)]
    public void Process_ToneAboveOutputNyquist_IsFilteredOut(int inRate, int outRate, double freq)
    {
        float[] input = Signals.Sine(freq, inRate, inRate, 0.9);
        float[] output = RunChunked(new StreamingResampler(inRate, outRate), input, 4096);
        double levelDb = Signals.Db(Signals.Rms(output.AsSpan(1000, output.Length - 2000)) / (0.9 / Math.Sqrt(2)));
        Assert.True(levelDb < -70, $"alias of {freq} Hz at {outRate} Hz is only {levelDb:F1} dB down");
    }

    [Fact]
    public void Process_Upsampling_SuppressesImages()
    {
        // 8 kHz → 16 kHz: a 3 kHz tone must not leave an image at 5 kHz.
        float[] input = Signals.Sine(3000, 8000, 8000, 0.9);
        float[] output = RunChunked(new StreamingResampler(8000, 16000), input, 160);
        var mid = output.AsSpan(800, output.Length - 1600);
        double tone = Signals.Goertzel(mid, 3000, 16000);
        double image = Signals.Goertzel(mid, 5000, 16000);
        Assert.True(10 * Math.Log10(image / tone) < -70, $"image at {10 * Math.Log10(image / tone):F1} dB");
    }

    [Fact]
    public void Process_EqualRates_PassesThroughUnchanged()
    {
        float[] input = TestSignal(16000, 1000);
        var r = new StreamingResampler(16000, 16000);
        Assert.True(r.IsIdentity);
        var output = new float[1000];
        Assert.Equal(1000, r.Process(input, output));
        Assert.Equal(input, output);
        Assert.Equal(0, r.Flush([]));
    }

    [Fact]
    public void Process_Constant_StaysConstantAfterStartup()
    {
        float[] input = Enumerable.Repeat(0.25f, 44100).ToArray();
        float[] output = RunChunked(new StreamingResampler(44100, 48000), input, 441);
        for (int i = 200; i < output.Length - 200; i++)
            Assert.InRange(output[i], 0.2499f, 0.2501f);
    }

    [Fact]
    public void Process_OutputTooSmall_Throws()
    {
        var r = new StreamingResampler(8000, 16000);
        Assert.Throws<ArgumentException>(() => r.Process(new float[100], new float[150]));
    }

    [Theory]
    [InlineData(4000, 16000)]
    [InlineData(16000, 96000)]
    public void Constructor_RateOutOfRange_ThrowsAudioFormatException(int inRate, int outRate)
    {
        var ex = Assert.Throws<AudioFormatException>(() => new StreamingResampler(inRate, outRate));
        Assert.Contains("Hz", ex.Message);
    }
}
