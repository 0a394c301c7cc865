using Vaani.Bench.Suites;

namespace Vaani.Bench;

/// <summary>
/// Benchmark runner: <c>dotnet run -c Release --project bench/Vaani.Bench -- &lt;suite&gt; [options]</c>.
/// Each suite prints its figures next to a baseline measured in the same run, so the ratios stay
/// meaningful on a machine whose absolute speed varies with load.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length == 0)
            return Usage();
        var rest = args[1..];
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        switch (args[0])
        {
            case "engines":
                return await EnginesSuite.RunAsync(rest, cancel.Token);
            case "gateway":
                return await GatewaySuite.RunAsync(rest, cancel.Token);
            case "heap":
                return await HeapSuite.RunAsync(rest, cancel.Token);
            case "-h" or "--help" or "help":
                Usage();
                return 0;
            default:
                Console.Error.WriteLine($"unknown suite '{args[0]}'");
                return Usage();
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("""
            usage: dotnet run -c Release --project bench/Vaani.Bench -- <suite> [options]

            suites:
              engines [--quick] [--only stt|latency|tts]
                  STT throughput and latency (PocketSphinx) and TTS speed (eSpeak NG) through
                  the engine abstractions, against the native CLIs; --quick runs each once
              gateway [--quick] [--proxy-only] [--sessions N]
                  N real-time STT streams (default 50, --quick 10) through the gateway vs nginx,
                  a bare byte relay, a WebSocket-terminating relay on its own event loop and the
                  same on Kestrel (added latency, CPU per frame, memory per idle session),
                  then admission and throughput in front of PocketSphinx (not with --proxy-only);
                  needs nginx (apt-get install nginx)
              heap [--sessions N] [--top K]
                  live managed objects one idle STT session holds in the gateway (N = 60
                  sessions open and silent vs none), by type, read from outside with ClrMD
            """);
        return 2;
    }
}
