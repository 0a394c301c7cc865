using System.Buffers.Binary;
using System.Diagnostics;
using Vaani.Engines.ESpeak;

namespace Vaani.Engines.Tests.ESpeak;

/// <summary>Collects a synthesis and measures audio; runs the espeak-ng CLI as the reference.</summary>
internal static class EspeakTestAudio
{
    public const int SampleRate = 22050;

    public static async Task<(short[] Samples, List<TtsWord> Words)> SynthesizeAsync(
        ITextToSpeechEngine engine, TtsRequest request, CancellationToken cancellationToken = default)
    {
        var bytes = new List<byte>();
        var words = new List<TtsWord>();
        await foreach (var e in engine.SynthesizeAsync(request, cancellationToken))
        {
            if (e is TtsAudio audio)
                bytes.AddRange(audio.Audio.ToArray());
            else if (e is TtsWord word)
                words.Add(word);
        }
        return (ToSamples(bytes.ToArray()), words);
    }

    public static short[] ToSamples(ReadOnlySpan<byte> pcm)
    {
        var samples = new short[pcm.Length / 2];
        for (var i = 0; i < samples.Length; i++)
            samples[i] = BinaryPrimitives.ReadInt16LittleEndian(pcm[(2 * i)..]);
        return samples;
    }

    public static double Rms(ReadOnlySpan<short> samples)
    {
        if (samples.IsEmpty)
            return 0;
        double sum = 0;
        foreach (var s in samples)
            sum += (double)s * s;
        return Math.Sqrt(sum / samples.Length);
    }

    public static double Seconds(int samples) => (double)samples / SampleRate;

    /// <summary>Audio with leading and trailing silence removed: what a listener hears as speech.</summary>
    public static ReadOnlySpan<short> Voiced(short[] samples)
    {
        var first = Array.FindIndex(samples, s => Math.Abs((int)s) > 256);
        var last = Array.FindLastIndex(samples, s => Math.Abs((int)s) > 256);
        return first < 0 ? [] : samples.AsSpan(first, last - first + 1);
    }

    /// <summary>Runs <c>espeak-ng -v voice -w out.wav text</c> and returns its samples.</summary>
    public static async Task<short[]> CliAsync(string voice, string text, bool ssml = false)
    {
        var wav = Path.Combine(Path.GetTempPath(), $"vaani-espeak-{Guid.NewGuid():N}.wav");
        try
        {
            var start = new ProcessStartInfo("espeak-ng") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in (string[])["-v", voice, "-w", wav])
                start.ArgumentList.Add(arg);
            if (ssml)
                start.ArgumentList.Add("-m");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(text);
            using var process = Process.Start(start)!;
            var stderr = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"espeak-ng failed: {stderr}");
            return ReadWav(await File.ReadAllBytesAsync(wav));
        }
        finally
        {
            File.Delete(wav);
        }
    }

    private static short[] ReadWav(byte[] file)
    {
        Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(file, 0, 4));
        var at = 12;
        while (at + 8 <= file.Length)
        {
            var id = System.Text.Encoding.ASCII.GetString(file, at, 4);
            var size = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(at + 4));
            if (id == "fmt ")
                Assert.Equal(SampleRate, BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(at + 12)));
            if (id == "data")
            {
                // espeak-ng may leave a placeholder size in the header: the data runs to the end of the file.
                var length = size <= 0 || at + 8 + size > file.Length ? file.Length - at - 8 : size;
                return ToSamples(file.AsSpan(at + 8, length));
            }
            at += 8 + size;
        }
        throw new InvalidDataException("no data chunk in espeak-ng output");
    }

    public static ITextToSpeechEngine Engine(EspeakOptions? options = null) => EspeakEngine.Create(options);
}
