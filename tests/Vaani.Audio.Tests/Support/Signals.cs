using System.Runtime.InteropServices;

namespace Vaani.Audio.Tests.Support;

/// <summary>Generated test signals and simple measurements.</summary>
internal static class Signals
{
    public static float[] Sine(double freq, int rate, int count, double amplitude = 0.5, double phase = 0)
    {
        var s = new float[count];
        for (int i = 0; i < count; i++)
            s[i] = (float)(amplitude * Math.Sin(2 * Math.PI * freq * i / rate + phase));
        return s;
    }

    public static short[] SineShort(double freq, int rate, int count, double amplitude = 0.5) =>
        Sine(freq, rate, count, amplitude).Select(v => (short)Math.Round(v * 32767)).ToArray();

    public static byte[] Bytes(short[] s) => MemoryMarshal.AsBytes(s.AsSpan()).ToArray();

    public static byte[] Bytes(float[] s) => MemoryMarshal.AsBytes(s.AsSpan()).ToArray();

    public static short[] Shorts(byte[] b) => MemoryMarshal.Cast<byte, short>(b.AsSpan()).ToArray();

    public static float[] Floats(byte[] b) => MemoryMarshal.Cast<byte, float>(b.AsSpan()).ToArray();

    public static double Rms(ReadOnlySpan<float> s)
    {
        double sum = 0;
        foreach (float v in s)
            sum += (double)v * v;
        return Math.Sqrt(sum / s.Length);
    }

    public static double Db(double ratio) => 20 * Math.Log10(ratio);

    /// <summary>Power of one frequency (Goertzel), normalised so a full-scale sine gives ~0.5.</summary>
    public static double Goertzel(ReadOnlySpan<float> s, double freq, int rate)
    {
        double w = 2 * Math.PI * freq / rate;
        double coeff = 2 * Math.Cos(w);
        double s1 = 0, s2 = 0;
        foreach (float x in s)
        {
            double s0 = x + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
        return 2 * power / ((double)s.Length * s.Length);
    }

    /// <summary>Frequency estimated from rising zero crossings with linear interpolation.</summary>
    public static double ZeroCrossingFrequency(ReadOnlySpan<float> s, int rate)
    {
        double first = -1, last = -1;
        int count = 0;
        for (int i = 1; i < s.Length; i++)
        {
            if (s[i - 1] < 0 && s[i] >= 0)
            {
                double t = i - 1 + (-s[i - 1] / (s[i] - s[i - 1]));
                if (first < 0) first = t;
                else count++;
                last = t;
            }
        }
        return count == 0 ? 0 : count * rate / (last - first);
    }
}
