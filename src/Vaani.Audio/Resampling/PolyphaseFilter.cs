using System.Collections.Concurrent;

namespace Vaani.Audio.Resampling;

/// <summary>
/// Immutable polyphase coefficient table for one rate pair: a Kaiser-windowed sinc low-pass
/// evaluated at the <see cref="Interpolation"/> fractional offsets an output sample can fall on.
/// Tables are shared by every resampler of the same rate pair (they are read-only).
/// </summary>
internal sealed class PolyphaseFilter
{
    // Passband to 90% of the lower Nyquist frequency, stopband from 100% of it, ~80 dB down.
    private const double PassbandFraction = 0.90;
    private const double StopbandAttenuationDb = 80;
    // The largest table a rate pair may need (8000 → 44100 has 441 phases).
    private const int MaxPhases = 1024;

    private static readonly ConcurrentDictionary<(int L, int M), PolyphaseFilter> Cache = new();

    private PolyphaseFilter(int interpolation, int decimation)
    {
        Interpolation = interpolation;
        Decimation = decimation;
        double ratio = Math.Min(1.0, (double)interpolation / decimation);
        // Cutoff and transition in cycles per input sample (input Nyquist = 0.5).
        double stopEdge = 0.5 * ratio;
        double passEdge = stopEdge * PassbandFraction;
        double cutoff = (passEdge + stopEdge) / 2;
        double transition = stopEdge - passEdge;
        double beta = 0.1102 * (StopbandAttenuationDb - 8.7);
        // Kaiser's length estimate N = (A - 8) / (2.285 · 2π · Δf).
        double length = (StopbandAttenuationDb - 8) / (2.285 * 2 * Math.PI * transition);
        HalfTaps = (int)Math.Ceiling(length / 2);
        Taps = 2 * HalfTaps;

        Coefficients = new float[interpolation * Taps];
        double i0Beta = BesselI0(beta);
        var row = new double[Taps];
        for (int p = 0; p < interpolation; p++)
        {
            double frac = (double)p / interpolation;
            double sum = 0;
            for (int j = 0; j < Taps; j++)
            {
                // Distance from the output instant to the j-th input of its window.
                double d = frac + (HalfTaps - 1 - j);
                double x = d / HalfTaps;
                double window = Math.Abs(x) >= 1 ? 0 : BesselI0(beta * Math.Sqrt(1 - (x * x))) / i0Beta;
                double h = 2 * cutoff * Sinc(2 * cutoff * d) * window;
                row[j] = h;
                sum += h;
            }
            // Each phase is normalised to unit DC gain so a constant stays exactly constant
            // and the level does not ripple with the phase.
            for (int j = 0; j < Taps; j++)
                Coefficients[(p * Taps) + j] = (float)(row[j] / sum);
        }
    }

    /// <summary>L: the up-sampling factor of the reduced ratio.</summary>
    public int Interpolation { get; }

    /// <summary>M: the down-sampling factor of the reduced ratio.</summary>
    public int Decimation { get; }

    /// <summary>Inputs on each side of an output instant (W); the window is 2W inputs.</summary>
    public int HalfTaps { get; }

    /// <summary>Inputs per output (2W).</summary>
    public int Taps { get; }

    /// <summary>Row p (Taps floats) holds the weights for phase p.</summary>
    public float[] Coefficients { get; }

    public static PolyphaseFilter For(int inRate, int outRate)
    {
        int g = Gcd(inRate, outRate);
        int l = outRate / g, m = inRate / g;
        if (l > MaxPhases)
            throw new AudioFormatException($"resampling {inRate} Hz to {outRate} Hz needs {l} filter phases; at most {MaxPhases} are supported");
        return Cache.GetOrAdd((l, m), static key => new PolyphaseFilter(key.L, key.M));
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
            (a, b) = (b, a % b);
        return a;
    }

    private static double Sinc(double x) => x == 0 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);

    private static double BesselI0(double x)
    {
        // Power series; converges quickly for the β values used here.
        double sum = 1, term = 1, q = x * x / 4;
        for (int k = 1; k < 200; k++)
        {
            term *= q / ((double)k * k);
            sum += term;
            if (term < sum * 1e-17)
                break;
        }
        return sum;
    }
}
