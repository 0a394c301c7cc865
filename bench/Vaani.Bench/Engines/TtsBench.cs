using System.Diagnostics;
using Vaani.Audio.Wav;
using Vaani.Bench.Common;
using Vaani.Engines;
using Vaani.Engines.ESpeak;

namespace Vaani.Bench.Engines;

/// <summary>
/// Section 3: time to first audio and real-time factor of <see cref="ITextToSpeechEngine"/> (eSpeak NG)
/// against the <c>espeak-ng</c> CLI, same voice and same paragraph.
/// </summary>
internal sealed class TtsBench
{
    private readonly int _repeats;
    private readonly string _directory;

    public TtsBench(int repeats, string workDirectory)
    {
        _repeats = repeats;
        _directory = workDirectory;
    }

    private sealed record Sample(double FirstChunkMs, double TotalMs, double AudioSeconds);

    public async Task RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var engine = EspeakEngine.Create();
        output.WriteLine($"## 3. TTS: eSpeak NG through ITextToSpeechEngine vs the espeak-ng CLI, one paragraph per language, median of {_repeats}");
        output.WriteLine("(TTFB = request to first audio chunk; RTF = synthesis time / audio duration, lower is faster; ratio = engine / CLI, < 1 means the engine is faster)");
        output.WriteLine();
        var ttfb = new Table("lang", "chars", "TTFB engine", "TTFB CLI", "ratio");
        var rtf = new Table("lang", "audio engine / CLI", "synth engine", "synth CLI", "CLI start-up", "RTF engine", "RTF CLI", "ratio", "RTF CLI − start-up", "ratio");
        foreach (var (language, text) in TtsTexts.Paragraphs)
        {
            // Untimed warm-up: JIT and the voice's data files (a serving worker is warmed the same way).
            await SynthesizeAsync(engine, language, text, cancellationToken);
            var ours = new List<Sample>();
            var cli = new List<Sample>();
            var startup = new List<double>();
            for (var i = 0; i < _repeats; i++)
            {
                cli.Add(await CliAsync(language, text, cancellationToken));
                startup.Add((await CliAsync(language, "a", cancellationToken)).TotalMs);
                ours.Add(await SynthesizeAsync(engine, language, text, cancellationToken));
            }
            var ttfbOurs = Median(ours, s => s.FirstChunkMs);
            var ttfbCli = Median(cli, s => s.FirstChunkMs);
            ttfb.Add(language, text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Format.Ms(ttfbOurs), Format.Ms(ttfbCli), Format.Ratio(ttfbOurs / ttfbCli));

            var rtfOurs = Median(ours, s => s.TotalMs / 1000 / s.AudioSeconds);
            var rtfCli = Median(cli, s => s.TotalMs / 1000 / s.AudioSeconds);
            var start = Stats.Median(startup);
            var rtfCliNet = Median(cli, s => (s.TotalMs - start) / 1000 / s.AudioSeconds);
            rtf.Add(language, $"{Format.Number(ours[0].AudioSeconds, "0.00")} / {Format.Number(cli[0].AudioSeconds, "0.00")} s",
                Format.Ms(Median(ours, s => s.TotalMs)), Format.Ms(Median(cli, s => s.TotalMs)), Format.Ms(start),
                Format.Number(rtfOurs, "0.0000"), Format.Number(rtfCli, "0.0000"), Format.Ratio(rtfOurs / rtfCli),
                Format.Number(rtfCliNet, "0.0000"), Format.Ratio(rtfOurs / rtfCliNet));
        }
        output.WriteLine("time to first audio:");
        output.WriteLine();
        ttfb.Print(output);
        output.WriteLine("real-time factor:");
        output.WriteLine();
        rtf.Print(output);
        output.WriteLine("engine: in a warm process (one untimed request per language first). CLI: a new process per request, so its");
        output.WriteLine("figures include process start and voice loading. CLI TTFB = first byte of `espeak-ng --stdout` read from the pipe");
        output.WriteLine("(stdio-buffered, so it approximates the first audio); CLI synthesis = wall time of `espeak-ng -v X -w out.wav`;");
        output.WriteLine("CLI start-up = the same command for the one-letter text \"a\", subtracted in the last two columns.");
        output.WriteLine();
    }

    private static double Median(List<Sample> samples, Func<Sample, double> figure) => Stats.Median(samples.Select(figure).ToList());

    private static async Task<Sample> SynthesizeAsync(ITextToSpeechEngine engine, string language, string text, CancellationToken cancellationToken)
    {
        var bytes = 0L;
        double? first = null;
        var started = Stopwatch.GetTimestamp();
        await foreach (var e in engine.SynthesizeAsync(new TtsRequest { Text = text, Language = language }, cancellationToken))
        {
            if (e is not TtsAudio audio)
                continue;
            first ??= Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            bytes += audio.Audio.Length;
        }
        var total = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var format = engine.Capabilities.NativeFormat;
        return new Sample(first ?? double.NaN, total, format.DurationOf(bytes).TotalSeconds);
    }

    private async Task<Sample> CliAsync(string language, string text, CancellationToken cancellationToken)
    {
        var stdout = await ChildProcess.RunAsync("espeak-ng", ["-v", language, "--stdout", text], readStdout: true, cancellationToken);
        var wav = Path.Combine(_directory, $"espeak-{language}.wav");
        var file = await ChildProcess.RunAsync("espeak-ng", ["-v", language, "-w", wav, text], readStdout: false, cancellationToken);
        var audio = WavReader.Read(await File.ReadAllBytesAsync(wav, cancellationToken));
        return new Sample(stdout.FirstByte?.TotalMilliseconds ?? double.NaN, file.Wall.TotalMilliseconds, audio.Format.DurationOf(audio.Data.Length).TotalSeconds);
    }
}
