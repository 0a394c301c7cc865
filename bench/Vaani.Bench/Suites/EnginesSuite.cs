using Vaani.Bench.Common;
using Vaani.Bench.Engines;

namespace Vaani.Bench.Suites;

/// <summary>
/// <c>engines [--quick]</c>: PocketSphinx STT throughput and end-of-utterance latency, and eSpeak NG
/// TTS time to first audio and real-time factor, each against the native CLI on the same input.
/// </summary>
internal static class EnginesSuite
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var quick = false;
        foreach (var arg in args)
        {
            if (arg == "--quick")
                quick = true;
            else
            {
                Console.Error.WriteLine($"engines: unknown option '{arg}' (known: --quick)");
                return 2;
            }
        }
        var output = Console.Out;
        output.WriteLine("# Vaani engine benchmarks");
        MachineInfo.Print(output, "engines" + (quick ? " --quick" : ""));
        output.WriteLine();

        using var corpus = SttCorpus.Load();
        await new SttThroughputBench(corpus, repeats: quick ? 1 : 3).RunAsync(output, cancellationToken);
        output.WriteLine($"load after: {MachineInfo.LoadAverage()}");
        return 0;
    }
}
