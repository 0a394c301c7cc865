using Vaani.Bench.Common;
using Vaani.Bench.Engines;

namespace Vaani.Bench.Suites;

/// <summary>
/// <c>engines [--quick] [--only stt|latency|tts|reset]</c>: PocketSphinx STT throughput and
/// end-of-utterance latency, and eSpeak NG TTS time to first audio and real-time factor, each
/// against the native CLI on the same input; then the decoder's in-place reset against
/// <c>ps_reinit</c>.
/// </summary>
internal static class EnginesSuite
{
    private static readonly string[] Sections = ["stt", "latency", "tts", "reset"];

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var quick = false;
        string? only = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--quick")
                quick = true;
            else if (args[i] == "--only" && i + 1 < args.Length && Sections.Contains(args[i + 1]))
                only = args[++i];
            else
            {
                Console.Error.WriteLine($"engines: unknown option '{args[i]}' (known: --quick, --only {string.Join('|', Sections)})");
                return 2;
            }
        }
        var output = Console.Out;
        output.WriteLine("# Vaani engine benchmarks");
        MachineInfo.Print(output, string.Join(' ', ["engines", .. args]));
        output.WriteLine();

        using var corpus = SttCorpus.Load();
        if (only is null or "stt")
            await new SttThroughputBench(corpus, repeats: quick ? 1 : 3).RunAsync(output, cancellationToken);
        if (only is null or "latency")
            await new SttLatencyBench(corpus, runs: quick ? 1 : 2, speed: 3).RunAsync(output, cancellationToken);
        if (only is null or "tts")
            await new TtsBench(repeats: quick ? 3 : 5, corpus.RawDirectory).RunAsync(output, cancellationToken);
        if (only is null or "reset")
            await new SttResetBench(corpus, rounds: quick ? 1 : 3).RunAsync(output, cancellationToken);
        output.WriteLine($"load after: {MachineInfo.LoadAverage()}");
        return 0;
    }
}
