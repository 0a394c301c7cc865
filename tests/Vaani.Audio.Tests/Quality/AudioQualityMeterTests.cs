using Vaani.Audio.Quality;
using Vaani.Audio.Tests.Support;

namespace Vaani.Audio.Tests.Quality;

public class AudioQualityMeterTests
{
    private const double MinusSixDb = 0.501187;

    [Fact]
    public void Snapshot_MinusSixDbfsSine_PeakMinusSixRmsMinusNine()
    {
        var meter = new AudioQualityMeter(16000);
        float[] s = Signals.Sine(1000, 16000, 16000, MinusSixDb, phase: 0.3);
        for (int pos = 0; pos < s.Length; pos += 333)
            meter.Add(s.AsSpan(pos, Math.Min(333, s.Length - pos)));
        AudioQualityReport r = meter.Snapshot();
        Assert.InRange(r.PeakDbfs, -6.05, -5.95);
        Assert.InRange(r.RmsDbfs, -9.1, -8.95);
        Assert.Equal(0, r.ClippingRatio);
        Assert.Equal(0, r.SilenceRatio);
        Assert.Equal(TimeSpan.FromSeconds(1), r.Duration);
    }

    [Fact]
    public void Snapshot_ClippedSine_ReportsClippedFraction()
    {
        float[] s = Signals.Sine(100, 8000, 8000, 2.0).Select(v => Math.Clamp(v, -1f, 1f)).ToArray();
        var meter = new AudioQualityMeter(8000);
        meter.Add(s);
        AudioQualityReport r = meter.Snapshot();
        // |2 sin| ≥ 1 for 2/3 of the period.
        Assert.InRange(r.ClippingRatio, 0.64, 0.69);
        Assert.Equal(0, r.PeakDbfs, 3);
    }

    [Fact]
    public void Snapshot_HalfSilence_RatioAboutHalf()
    {
        var meter = new AudioQualityMeter(16000);
        meter.Add(Signals.Sine(440, 16000, 16000, 0.3));
        meter.Add(new float[8000]);
        var rng = new Random(3);
        meter.Add(Enumerable.Range(0, 8000).Select(_ => (float)((rng.NextDouble() - 0.5) * 0.001)).ToArray()); // ≈ -71 dBFS noise
        Assert.InRange(meter.Snapshot().SilenceRatio, 0.49, 0.51);
    }

    [Fact]
    public void Snapshot_CustomThreshold_ChangesVerdict()
    {
        var options = new AudioQualityMeterOptions { SilenceThresholdDbfs = -20 };
        var meter = new AudioQualityMeter(8000, options);
        meter.Add(Signals.Sine(300, 8000, 8000, 0.05)); // ≈ -29 dBFS RMS: silent for a -20 dBFS threshold
        Assert.Equal(1.0, meter.Snapshot().SilenceRatio);
    }

    [Fact]
    public void Snapshot_Empty_ReportsNothing()
    {
        AudioQualityReport r = new AudioQualityMeter(8000).Snapshot();
        Assert.Equal(TimeSpan.Zero, r.Duration);
        Assert.Equal(double.NegativeInfinity, r.PeakDbfs);
        Assert.Equal(0, r.SilenceRatio);
    }

    [Fact]
    public void Snapshot_MatchesSoxStats()
    {
        float[] s = Signals.Sine(523, 16000, 16000, 0.3);
        var meter = new AudioQualityMeter(16000);
        meter.Add(s);
        AudioQualityReport r = meter.Snapshot();
        string stats = Sox.RunStderr("-t", "raw", "-r", "16000", "-e", "float", "-b", "32", "-c", "1", "-", "-n", "stats", Signals.Bytes(s));
        double soxPk = ParseStat(stats, "Pk lev dB"), soxRms = ParseStat(stats, "RMS lev dB");
        Assert.InRange(r.PeakDbfs - soxPk, -0.05, 0.05);
        Assert.InRange(r.RmsDbfs - soxRms, -0.05, 0.05);
    }

    private static double ParseStat(string stats, string name)
    {
        string line = stats.Split('\n').First(l => l.StartsWith(name, StringComparison.Ordinal));
        return double.Parse(line[name.Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
