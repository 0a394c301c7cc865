namespace Vaani.Audio.Quality;

/// <summary>
/// Streaming audio-quality meter over mono float samples: peak and RMS level (dBFS), clipping
/// ratio, silence ratio and duration. Feed it any chunk sizes; it keeps a few counters and no buffers.
/// </summary>
/// <remarks>
/// Silence is judged per window of <see cref="AudioQualityMeterOptions.WindowDuration"/>
/// (20 ms by default): a window whose RMS is below the threshold counts as silent. A trailing
/// partial window counts too, weighted by its length, so short clips still get a ratio.
/// Not thread-safe: one meter per stream.
/// </remarks>
public sealed class AudioQualityMeter
{
    private readonly int _windowSamples;
    private readonly double _silenceThresholdSquare;
    private readonly float _clipLevel;
    private long _samples;
    private double _sumSquares;
    private float _peak;
    private long _clipped;
    private long _silentSamples; // samples in completed silent windows
    private long _windowedSamples; // samples in completed windows
    private int _windowFill;
    private double _windowSumSquares;

    /// <summary>Creates a meter for audio at <paramref name="sampleRate"/> Hz.</summary>
    public AudioQualityMeter(int sampleRate, AudioQualityMeterOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        options ??= AudioQualityMeterOptions.Default;
        SampleRate = sampleRate;
        _windowSamples = Math.Max(1, (int)Math.Round(sampleRate * options.WindowDuration.TotalSeconds));
        double threshold = Math.Pow(10, options.SilenceThresholdDbfs / 20);
        _silenceThresholdSquare = threshold * threshold;
        _clipLevel = options.ClipLevel;
    }

    /// <summary>Sample rate the duration is computed at.</summary>
    public int SampleRate { get; }

    /// <summary>Adds samples (nominal range [-1, 1]).</summary>
    public void Add(ReadOnlySpan<float> samples)
    {
        float peak = _peak;
        long clipped = 0;
        while (!samples.IsEmpty)
        {
            int n = Math.Min(samples.Length, _windowSamples - _windowFill);
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                float v = samples[i];
                float a = MathF.Abs(v);
                if (a > peak) peak = a;
                if (a >= _clipLevel) clipped++;
                sum += (double)v * v;
            }
            _windowSumSquares += sum;
            _sumSquares += sum;
            _windowFill += n;
            samples = samples[n..];
            if (_windowFill == _windowSamples)
            {
                if (_windowSumSquares / _windowSamples < _silenceThresholdSquare)
                    _silentSamples += _windowSamples;
                _windowedSamples += _windowSamples;
                _windowFill = 0;
                _windowSumSquares = 0;
            }
            _samples += n;
        }
        _peak = peak;
        _clipped += clipped;
    }

    /// <summary>Measurements over everything added so far.</summary>
    public AudioQualityReport Snapshot()
    {
        long silent = _silentSamples, windowed = _windowedSamples;
        if (_windowFill > 0)
        {
            windowed += _windowFill;
            if (_windowSumSquares / _windowFill < _silenceThresholdSquare)
                silent += _windowFill;
        }
        return new AudioQualityReport(
            Duration: TimeSpan.FromSeconds((double)_samples / SampleRate),
            PeakDbfs: ToDb(_peak),
            RmsDbfs: _samples == 0 ? double.NegativeInfinity : ToDb(Math.Sqrt(_sumSquares / _samples)),
            ClippingRatio: _samples == 0 ? 0 : (double)_clipped / _samples,
            SilenceRatio: windowed == 0 ? 0 : (double)silent / windowed);
    }

    /// <summary>Clears all counters.</summary>
    public void Reset()
    {
        _samples = 0;
        _sumSquares = 0;
        _peak = 0;
        _clipped = 0;
        _silentSamples = 0;
        _windowedSamples = 0;
        _windowFill = 0;
        _windowSumSquares = 0;
    }

    private static double ToDb(double amplitude) => amplitude <= 0 ? double.NegativeInfinity : 20 * Math.Log10(amplitude);
}
