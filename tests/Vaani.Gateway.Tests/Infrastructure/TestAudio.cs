using Vaani.Testing;
using System.Diagnostics;

namespace Vaani.Gateway.Tests.Infrastructure;

/// <summary>Real speech converted with sox (an independent reference), cached per process.</summary>
internal static class TestAudio
{
    private static readonly Dictionary<string, byte[]> Cache = [];

    /// <summary>goforward.raw converted by sox to raw <paramref name="soxEncodingArgs"/> at <paramref name="rate"/>.</summary>
    public static byte[] GoForwardAs(string soxEncodingArgs, int rate)
    {
        var key = soxEncodingArgs + rate;
        lock (Cache)
        {
            if (Cache.TryGetValue(key, out var cached)) return cached;
            var output = Path.Combine(Path.GetTempPath(), $"vaani-test-{Guid.NewGuid():N}.raw");
            var psi = new ProcessStartInfo("sox", $"-D -t raw -r 16000 -e signed -b 16 -c 1 {RepoPaths.TestData}/goforward.raw -t raw {soxEncodingArgs} -r {rate} {output}") { RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException("sox failed: " + err);
            var data = File.ReadAllBytes(output);
            File.Delete(output);
            return Cache[key] = data;
        }
    }

    /// <summary>16 kHz linear16 silence.</summary>
    public static byte[] Silence(TimeSpan duration) => new byte[(int)(duration.TotalSeconds * 16000) * 2];

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>A canonical 16 kHz mono linear16 WAV of <paramref name="pcm"/>.</summary>
    public static byte[] WavOf(byte[] pcm) => Vaani.Audio.Wav.WavWriter.ToBytes(Vaani.Audio.AudioFormat.Linear16(16000), pcm);

    /// <summary>16 kHz linear16 encoded by ffmpeg into <paramref name="format"/> (mp3, flac, ...).</summary>
    public static byte[] Encode(byte[] pcm, string format)
    {
        var input = Path.GetTempFileName();
        var output = Path.Combine(Path.GetTempPath(), $"vaani-test-{Guid.NewGuid():N}.{format}");
        File.WriteAllBytes(input, pcm);
        Run("ffmpeg", $"-hide_banner -loglevel error -f s16le -ar 16000 -ac 1 -i {input} -y {output}");
        var data = File.ReadAllBytes(output);
        File.Delete(input);
        File.Delete(output);
        return data;
    }

    /// <summary>Duration in seconds as ffmpeg decodes it (the reference decoder).</summary>
    public static double ProbeDuration(byte[] data, string inputArgs = "")
    {
        var input = Path.GetTempFileName();
        File.WriteAllBytes(input, data);
        var output = Path.GetTempFileName();
        Run("ffmpeg", $"-hide_banner -loglevel error {inputArgs} -i {input} -f s16le -ac 1 -ar 16000 -y {output}");
        double seconds = new FileInfo(output).Length / 32000.0;
        File.Delete(input);
        File.Delete(output);
        return seconds;
    }

    private static void Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} failed: {err}");
    }
}
