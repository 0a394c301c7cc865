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
        var table = new Table("lang", "chars", "audio engine / CLI", "TTFB engine", "TTFB CLI", "ratio", "synth engine", "synth CLI", "RTF engine", "RTF CLI", "ratio");
        foreach (var (language, text) in TtsTexts.Paragraphs)
        {
            // Untimed warm-up: JIT and the voice's data files (a serving worker is warmed the same way).
            await SynthesizeAsync(engine, language, text, cancellationToken);
            var ours = new List<Sample>();
            var cli = new List<Sample>();
            for (var i = 0; i < _repeats; i++)
            {
                cli.Add(await CliAsync(language, text, cancellationToken));
                ours.Add(await SynthesizeAsync(engine, language, text, cancellationToken));
            }
            var ttfbOurs = Stats.Median(ours.Select(s => s.FirstChunkMs).ToList());
            var ttfbCli = Stats.Median(cli.Select(s => s.FirstChunkMs).ToList());
            var rtfOurs = Stats.Median(ours.Select(s => s.TotalMs / 1000 / s.AudioSeconds).ToList());
            var rtfCli = Stats.Median(cli.Select(s => s.TotalMs / 1000 / s.AudioSeconds).ToList());
            table.Add(language, text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"{Format.Number(ours[0].AudioSeconds, "0.00")} / {Format.Number(cli[0].AudioSeconds, "0.00")} s",
                Format.Ms(ttfbOurs), Format.Ms(ttfbCli), Format.Ratio(ttfbOurs / ttfbCli),
                Format.Ms(Stats.Median(ours.Select(s => s.TotalMs).ToList())), Format.Ms(Stats.Median(cli.Select(s => s.TotalMs).ToList())),
                Format.Number(rtfOurs, "0.0000"), Format.Number(rtfCli, "0.0000"), Format.Ratio(rtfOurs / rtfCli));
        }
        table.Print(output);
        output.WriteLine("engine: in a warm process (one untimed request per language first). CLI: a new process per request, so its");
        output.WriteLine("figures include process start and voice loading. CLI TTFB = first byte of `espeak-ng --stdout` read from the pipe");
        output.WriteLine("(stdio-buffered, so it approximates the first audio); CLI synthesis = wall time of `espeak-ng -v X -w out.wav`.");
        output.WriteLine();
    }

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
