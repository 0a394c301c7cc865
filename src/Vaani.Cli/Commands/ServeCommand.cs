using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Hosting;
using Vaani.Engines;
using Vaani.Gateway.Hosting;
using Vaani.Gateway.Routing;
using Vaani.Workers.Supervision;

namespace Vaani.Cli.Commands;

/// <summary>
/// <c>vaani serve</c>: the whole platform on one machine — the gateway in this process and one
/// supervised worker process group per engine pool (<c>stt-en</c>: PocketSphinx, <c>tts</c>:
/// eSpeak NG). A native crash kills one worker, which is restarted; never the gateway.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "TCP port (0 picks a free one)", DefaultValueFactory = _ => 8080 };
        var sttWorkers = new Option<int>("--stt-workers") { Description = "Worker processes in the stt-en pool", DefaultValueFactory = _ => 1 };
        var ttsWorkers = new Option<int>("--tts-workers") { Description = "Worker processes in the tts pool (eSpeak NG runs one synthesis at a time per process)", DefaultValueFactory = _ => 2 };
        var decoders = new Option<int>("--decoders") { Description = "PocketSphinx decoders per stt-en worker (concurrent sessions per worker)", DefaultValueFactory = _ => 2 };
        var drainGrace = new Option<double>("--drain-grace") { Description = "Seconds running sessions may continue after SIGTERM", DefaultValueFactory = _ => 30 };
        var pools = new Option<string[]>("--pools") { Description = "Extra pools to run (e.g. stt-passthrough for benchmarks)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("serve", "Run the gateway and its engine workers") { host, port, sttWorkers, ttsWorkers, decoders, drainGrace, pools };
        command.SetAction(async (parse, ct) =>
        {
            var options = new GatewayOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                DrainGrace = TimeSpan.FromSeconds(parse.GetValue(drainGrace)),
            };
            if (!IPAddress.TryParse(options.Host, out _) && options.Host != "localhost")
                throw new UsageException($"--host '{options.Host}' is not an IP address");
            if (options.Port is < 0 or > 65535) throw new UsageException($"--port {options.Port} is out of range");
            var poolSpecs = new List<(string Pool, int Workers)>
            {
                (LocalEngines.SttEnglishPool, Math.Max(1, parse.GetValue(sttWorkers))),
                (LocalEngines.TtsPool, Math.Max(1, parse.GetValue(ttsWorkers))),
            };
            foreach (var extra in parse.GetValue(pools) ?? []) poolSpecs.Add((extra, 1));

            var socketDir = Path.Combine(Path.GetTempPath(), $"vaani-{Environment.ProcessId}");
            var launch = WorkerLaunchSpec.ForVaani(typeof(ServeCommand).Assembly.Location) with
            {
                Environment = new Dictionary<string, string> { [WorkerCommand.DecodersVariable] = parse.GetValue(decoders).ToString(System.Globalization.CultureInfo.InvariantCulture) },
            };
            var supervisors = poolSpecs.Select(p => (p.Pool, Supervisor: new WorkerSupervisor(launch, new WorkerSupervisorOptions { Pool = p.Pool, SocketDirectory = socketDir, WorkerCount = p.Workers }))).ToList();
            try
            {
                foreach (var s in supervisors) s.Supervisor.Start();
                Console.Error.WriteLine($"vaani: starting workers ({string.Join(", ", poolSpecs.Select(p => $"{p.Pool} ×{p.Workers}"))})");
                using (var ready = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    ready.CancelAfter(TimeSpan.FromMinutes(2));
                    try { await Task.WhenAll(supervisors.Select(s => s.Supervisor.WaitUntilServingAsync(ready.Token))); }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        throw new EngineException("workers_not_ready", "engine workers did not start within 2 minutes; run scripts/setup.sh and check the log above", isPermanent: false);
                    }
                }
                var router = BuildRouter(supervisors);
                await using var app = GatewayApp.Build(options, router);
                await app.StartAsync(ct);
                Console.Error.WriteLine($"vaani: listening on {string.Join(", ", app.Urls)}  (docs/api.md; Ctrl-C drains and stops)");
                await app.WaitForShutdownAsync(ct);
            }
            finally
            {
                foreach (var s in supervisors) await s.Supervisor.DisposeAsync();
                try { Directory.Delete(socketDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static StaticEngineRouter BuildRouter(IEnumerable<(string Pool, WorkerSupervisor Supervisor)> supervisors)
    {
        var stt = new List<EnginePool<ISpeechToTextEngine>>();
        var tts = new List<EnginePool<ITextToSpeechEngine>>();
        foreach (var (pool, supervisor) in supervisors)
        {
            var hello = supervisor.ServingConnections[0].Hello;
            int capacity = hello.Capacity * supervisor.Workers.Count;
            bool Serving() => supervisor.ServingConnections.Count > 0;
            if (hello.Stt is { } sttCaps)
                stt.Add(new EnginePool<ISpeechToTextEngine>(pool, new WorkerPoolSttEngine(supervisor, sttCaps), capacity, Serving));
            if (hello.Tts is { } ttsCaps)
                tts.Add(new EnginePool<ITextToSpeechEngine>(pool, new WorkerPoolTtsEngine(supervisor, ttsCaps), Math.Max(64, capacity * 16), Serving));
        }
        return new StaticEngineRouter(stt, tts);
    }
}
