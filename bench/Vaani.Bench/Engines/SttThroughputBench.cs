using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Vaani.Bench.Common;
using Vaani.Engines;
using Vaani.Engines.PocketSphinx;

namespace Vaani.Bench.Engines;

/// <summary>
/// Section 1: recognition throughput through <see cref="ISpeechToTextEngine"/> against the raw
/// <c>pocketsphinx_batch</c> CLI on the same samples with the same model and decoder settings.
/// </summary>
internal sealed partial class SttThroughputBench
{
    private const int ChunkBytes = 3200; // 100 ms of linear16 16 kHz

    private readonly SttCorpus _corpus;
    private readonly PocketSphinxOptions _options;
    private readonly int _repeats;

    public SttThroughputBench(SttCorpus corpus, int repeats)
    {
        _corpus = corpus;
        _repeats = repeats;
        // One decoder, as the CLI builds one. Second passes are the engine defaults and are passed
        // to the CLI explicitly below, so both sides run the same searches.
        _options = new PocketSphinxOptions { PoolSize = 1 };
    }

    /// <summary>One side's measurement of one repetition.</summary>
    private sealed record Run(double LoadWall, double LoadCpu, double DecodeWall, double DecodeCpu, IReadOnlyList<string> Transcripts);

    public async Task RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        // Untimed warm-up: JIT and page cache for the engine side; the CLI side has no JIT to warm.
        await RunEngineAsync([_corpus.Clips[0]], cancellationToken);
        await RunCliAsync(cancellationToken);

        var engine = new List<Run>();
        var cli = new List<Run>();
        for (var i = 0; i < _repeats; i++)
        {
            // Interleaved, so a burst of load from elsewhere hits both sides alike.
            cli.Add(await RunCliAsync(cancellationToken));
            engine.Add(await RunEngineAsync(_corpus.Clips, cancellationToken));
        }

        var audio = _corpus.TotalSeconds;
        output.WriteLine($"## 1. STT throughput: {_corpus.Clips.Count} files, {audio:0.00} s of audio, median of {_repeats}");
        output.WriteLine($"decoder: {Path.GetFileName(_options.AcousticModel)} / {Path.GetFileName(_options.LanguageModel)}, -fwdflat {YesNo(_options.FlatLexiconPass)} -bestpath {YesNo(_options.BestPathPass)} -vad_postspeech {_options.VadPostSpeechFrames}; engine fed 100 ms chunks as fast as it accepts them, no partials, FinalizeAsync after each file");
        output.WriteLine("(throughput = seconds of audio per second of wall or CPU time; ratio = engine / CLI, ≥ 1 means the engine is at least as fast)");
        output.WriteLine();
        var table = new Table("figure", "engine (ISpeechToTextEngine)", "pocketsphinx_batch", "ratio");
        AddRows(table, "with load", audio, engine.Select(r => (r.LoadWall, r.LoadCpu)).ToList(), cli.Select(r => (r.LoadWall, r.LoadCpu)).ToList());
        AddRows(table, "decode only", audio, engine.Select(r => (r.DecodeWall, r.DecodeCpu)).ToList(), cli.Select(r => (r.DecodeWall, r.DecodeCpu)).ToList());
        table.Print(output);
        var same = engine[^1].Transcripts.Zip(cli[^1].Transcripts).Count(p => p.First == p.Second);
        output.WriteLine($"transcripts identical to the CLI's: {same}/{_corpus.Clips.Count} files");
        output.WriteLine("with load: engine = CreateAsync (1 decoder) + decode, in process; CLI = whole process (start, model load, decode, exit).");
        output.WriteLine("decode only: engine = first audio byte to the end of the event stream; CLI = its own TOTAL line (decode time summed over files).");
        output.WriteLine();
    }

    private static void AddRows(Table table, string label, double audio, List<(double Wall, double Cpu)> engine, List<(double Wall, double Cpu)> cli)
    {
        var engineWall = Stats.Median(engine.Select(r => r.Wall).ToList());
        var engineCpu = Stats.Median(engine.Select(r => r.Cpu).ToList());
        var cliWall = Stats.Median(cli.Select(r => r.Wall).ToList());
        var cliCpu = Stats.Median(cli.Select(r => r.Cpu).ToList());
        table.Add($"{label}: wall time", Format.Seconds(engineWall), Format.Seconds(cliWall), "");
        table.Add($"{label}: CPU time", Format.Seconds(engineCpu), Format.Seconds(cliCpu), "");
        table.Add($"{label}: audio s / wall s", Format.Number(audio / engineWall, "0.00"), Format.Number(audio / cliWall, "0.00"), Format.Ratio(cliWall / engineWall));
        table.Add($"{label}: audio s / CPU s", Format.Number(audio / engineCpu, "0.00"), Format.Number(audio / cliCpu, "0.00"), Format.Ratio(cliCpu / engineCpu));
    }

    private async Task<Run> RunEngineAsync(IReadOnlyList<SttClip> clips, CancellationToken cancellationToken)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var cpu0 = ProcessCpu();
        var t0 = Stopwatch.GetTimestamp();
        await using var engine = await PocketSphinxEngine.CreateAsync(_options, cancellationToken);
        var cpu1 = ProcessCpu();
        var t1 = Stopwatch.GetTimestamp();
        var transcripts = new List<string>();
        await using (var session = await engine.StartSessionAsync(new SttSessionOptions { InterimResults = false, Endpointing = null }, cancellationToken))
        {
            var reader = Task.Run(async () =>
            {
                await foreach (var e in session.ReadEventsAsync(cancellationToken))
                {
                    if (e is SttFinal final)
                        transcripts.Add(final.Text);
                }
            }, cancellationToken);
            foreach (var clip in clips)
            {
                for (var offset = 0; offset < clip.Pcm.Length; offset += ChunkBytes)
                    await session.SendAudioAsync(clip.Pcm.AsMemory(offset, Math.Min(ChunkBytes, clip.Pcm.Length - offset)), cancellationToken);
                await session.FinalizeAsync(cancellationToken);
            }
            await session.CompleteAsync(cancellationToken);
            await reader;
        }
        var t2 = Stopwatch.GetTimestamp();
        var cpu2 = ProcessCpu();
        return new Run(
            Stopwatch.GetElapsedTime(t0, t2).TotalSeconds, (cpu2 - cpu0).TotalSeconds,
            Stopwatch.GetElapsedTime(t1, t2).TotalSeconds, (cpu2 - cpu1).TotalSeconds,
            transcripts.Take(clips.Count).ToList());
    }

    private async Task<Run> RunCliAsync(CancellationToken cancellationToken)
    {
        var hyp = Path.Combine(_corpus.RawDirectory, "out.hyp");
        var log = Path.Combine(_corpus.RawDirectory, "batch.log");
        var run = await ChildProcess.RunAsync("pocketsphinx_batch",
        [
            "-hmm", _options.AcousticModel, "-lm", _options.LanguageModel, "-dict", _options.Dictionary,
            "-samprate", "16000", "-frate", "100",
            "-fwdflat", YesNo(_options.FlatLexiconPass), "-bestpath", YesNo(_options.BestPathPass),
            "-vad_postspeech", _options.VadPostSpeechFrames.ToString(CultureInfo.InvariantCulture),
            "-remove_silence", "yes", "-dither", "no",
            "-ctl", _corpus.ControlFile, "-cepdir", _corpus.RawDirectory, "-cepext", ".raw", "-adcin", "yes",
            "-hyp", hyp, "-logfn", log,
        ], readStdout: false, cancellationToken);
        var total = TotalLine().Match(await File.ReadAllTextAsync(log, cancellationToken));
        if (!total.Success)
            throw new InvalidOperationException($"pocketsphinx_batch wrote no TOTAL line to {log}");
        // "text (fileid score)" per line, in control-file order.
        var transcripts = (await File.ReadAllLinesAsync(hyp, cancellationToken))
            .Select(l => l[..Math.Max(0, l.LastIndexOf(" (", StringComparison.Ordinal))].Trim()).ToList();
        return new Run(run.Wall.TotalSeconds, run.Cpu.TotalSeconds,
            double.Parse(total.Groups["wall"].Value, CultureInfo.InvariantCulture),
            double.Parse(total.Groups["cpu"].Value, CultureInfo.InvariantCulture), transcripts);
    }

    private static TimeSpan ProcessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static string YesNo(bool value) => value ? "yes" : "no";

    [GeneratedRegex(@"TOTAL (?<speech>[\d.]+) seconds speech, (?<cpu>[\d.]+) seconds CPU, (?<wall>[\d.]+) seconds wall")]
    private static partial Regex TotalLine();
}
