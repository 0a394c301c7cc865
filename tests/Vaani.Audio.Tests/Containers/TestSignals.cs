using System.Diagnostics;

namespace Vaani.Audio.Tests;

/// <summary>Signal generation and measurement for codec/container tests.</summary>
internal static class TestSignals
{
    /// <summary>An interleaved sine (same tone on every channel).</summary>
    public static short[] Sine(int sampleRate, double seconds, double frequency, double amplitude = 0.5, int channels = 1)
    {
        int frames = (int)Math.Round(sampleRate * seconds);
        var samples = new short[frames * channels];
        for (int i = 0; i < frames; i++)
        {
            short value = (short)Math.Round(amplitude * short.MaxValue * Math.Sin(2 * Math.PI * frequency * i / sampleRate));
            for (int c = 0; c < channels; c++)
                samples[i * channels + c] = value;
        }
        return samples;
    }

    /// <summary>One channel out of interleaved samples.</summary>
    public static short[] Channel(ReadOnlySpan<short> interleaved, int channels, int channel)
    {
        var result = new short[interleaved.Length / channels];
        for (int i = 0; i < result.Length; i++)
            result[i] = interleaved[i * channels + channel];
        return result;
    }

    /// <summary>Frequency from upward zero crossings over the middle of the signal (edges skipped: codec onset/decay).</summary>
    public static double EstimateFrequency(ReadOnlySpan<short> mono, int sampleRate)
    {
        int skip = mono.Length / 10;
        var middle = mono[skip..(mono.Length - skip)];
        double first = -1, last = -1;
        int crossings = 0;
        for (int i = 1; i < middle.Length; i++)
        {
            if (middle[i - 1] < 0 && middle[i] >= 0)
            {
                // Linear interpolation of the crossing instant for sub-sample accuracy.
                double t = i - 1 + (double)-middle[i - 1] / (middle[i] - middle[i - 1]);
                if (first < 0) first = t; else crossings++;
                last = t;
            }
        }
        return crossings == 0 ? 0 : crossings * sampleRate / (last - first);
    }

    /// <summary>Root-mean-square level relative to full scale, over the middle of the signal.</summary>
    public static double Rms(ReadOnlySpan<short> mono)
    {
        int skip = mono.Length / 10;
        var middle = mono[skip..(mono.Length - skip)];
        double sum = 0;
        foreach (short s in middle)
            sum += (double)s * s;
        return Math.Sqrt(sum / Math.Max(1, middle.Length)) / short.MaxValue;
    }

    public static byte[] ToBytes(ReadOnlySpan<short> samples)
    {
        var bytes = new byte[samples.Length * 2];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(samples).CopyTo(bytes);
        return bytes;
    }

    public static short[] ToShorts(ReadOnlySpan<byte> bytes)
    {
        var samples = new short[bytes.Length / 2];
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(bytes[..(samples.Length * 2)]).CopyTo(samples);
        return samples;
    }
}

/// <summary>Runs the reference command-line tools (sox, ffmpeg, opusenc, opusdec).</summary>
internal static class Tool
{
    public static byte[] Run(string exe, IEnumerable<string> args, byte[]? stdin = null)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var output = new MemoryStream();
        var stdout = process.StandardOutput.BaseStream.CopyToAsync(output);
        if (stdin is not null)
            process.StandardInput.BaseStream.Write(stdin);
        process.StandardInput.Close();
        stdout.GetAwaiter().GetResult();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
        return output.ToArray();
    }

    /// <summary>A scratch directory removed on dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("vaani-audio-").FullName;
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
