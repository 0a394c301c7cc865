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

            var launch = WorkerLaunchSpec.ForVaani(typeof(ServeCommand).Assembly.Location) with
            {
                Environment = new Dictionary<string, string> { [WorkerCommand.DecodersVariable] = parse.GetValue(decoders).ToString(System.Globalization.CultureInfo.InvariantCulture) },
            };
            Console.Error.WriteLine($"vaani: starting workers ({string.Join(", ", poolSpecs.Select(p => $"{p.Pool} ×{p.Workers}"))})");
            await using var node = await LocalNode.StartAsync(new LocalNodeOptions { Gateway = options, Launch = launch, Pools = poolSpecs }, ct);
            Console.Error.WriteLine($"vaani: listening on {node.BaseUri.ToString().TrimEnd('/')}  (docs/api.md; Ctrl-C drains and stops)");
            // SIGTERM/SIGINT reach the host, which drains (docs/api.md) before returning.
            await node.App.WaitForShutdownAsync(CancellationToken.None);
            return ExitCodes.Ok;
        });
        return command;
    }
}
