using System.CommandLine;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Hosting;
using Vaani.Control.Snapshots;
using Vaani.Control.Store;
using Vaani.Control.Usage;
using Vaani.Gateway.Control;
using Vaani.Gateway.Hosting;
using Vaani.Workers.Supervision;

namespace Vaani.Cli.Commands;

/// <summary>
/// <c>vaani serve</c>: the whole platform on one machine — the control role (SQLite store by
/// default, admin API on <c>--control-port</c>), the gateway in this process with authentication
/// against the control snapshot, and one supervised worker process group per engine pool
/// (<c>stt-en</c>: PocketSphinx, <c>tts</c>: eSpeak NG). A native crash kills one worker, which is
/// restarted; never the gateway.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var host = HostOption();
        var port = new Option<int>("--port", "-p") { Description = "TCP port (0 picks a free one)", DefaultValueFactory = _ => 8080 };
        var controlPort = new Option<int>("--control-port") { Description = "TCP port of the admin API (0 picks a free one)", DefaultValueFactory = _ => 8081 };
        var store = StoreOption();
        var dataDir = DataDirOption();
        var maxStaleness = MaxStalenessOption();
        var noAuth = new Option<bool>("--no-auth") { Description = "Run without a control plane or authentication (loopback addresses only)" };
        var workers = new WorkerOptions();
        var adminRates = new AdminRateOptions();
        var command = new Command("serve", "Run the control plane, the gateway and its engine workers on this machine") { host, port, controlPort, store, dataDir, maxStaleness, noAuth };
        workers.AddTo(command);
        adminRates.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            // Before anything opens a socket (docs/cli.md, "Socket completions").
            SocketEventLoop.EnableUnlessConfigured();
            var options = GatewayOptionsFrom(parse.GetValue(host)!, parse.GetValue(port), workers.DrainGrace(parse));
            var rateLimits = adminRates.Limits(parse);
            if (parse.GetValue(noAuth))
            {
                if (!IsLoopback(options.Host))
                    throw new UsageException($"refusing to listen on {options.Host} without authentication: drop --no-auth (the key is printed at first start) or use --host 127.0.0.1");
                Console.Error.WriteLine("vaani: authentication is OFF (--no-auth): anyone who can reach this port may use it");
                return await RunNodeAsync(options, workers, parse, control: null, ct);
            }

            var data = ControlPlaneSetup.DataDirectory(parse.GetValue(dataDir));
            ControlPlaneSetup.EnsurePrivateDirectory(data);
            var spec = ParseStore(parse.GetValue(store), data);
            await using var control = await ControlServer.StartAsync(new ControlServerOptions
            {
                Host = options.Host,
                Port = parse.GetValue(controlPort),
                Store = spec,
                RootKey = RootKeyFromEnvironment(),
                RateLimits = rateLimits,
            }, ct);
            Console.Error.WriteLine($"vaani: control plane on {control.BaseUri.ToString().TrimEnd('/')} ({spec.Describe()})");
            ControlPlaneSetup.AnnounceRootKey(control);
            await using var edge = await EdgeControl.StartAsync(new EdgeControlOptions
            {
                Loader = new StoreSnapshotLoader(control.Store),
                Sink = new StoreUsageSink(control.Store),
                SpoolDirectory = Path.Combine(data, "spool"),
                TokenSigningKey = ControlPlaneSetup.TokenSigningKey(data, controlKey: null),
                MaxStaleness = TimeSpan.FromSeconds(parse.GetValue(maxStaleness)),
                Delivery = ControlPlaneSetup.Delivery,
                ChangeListener = control.Store is PostgresControlStore pg ? (refresh, lct) => pg.ListenAsync(_ => refresh(), lct) : null,
            }, TimeSpan.FromSeconds(10));
            return await RunNodeAsync(options, workers, parse, edge, ct);
        });
        return command;
    }

    /// <summary>Starts the workers and the gateway, runs until SIGTERM/SIGINT (draining), then stops.</summary>
    internal static async Task<int> RunNodeAsync(GatewayOptions options, WorkerOptions workers, ParseResult parse, EdgeControl? control, CancellationToken ct)
    {
        var poolSpecs = workers.Pools(parse);
        var launch = WorkerLaunchSpec.ForVaani(typeof(ServeCommand).Assembly.Location) with
        {
            // Engines run in workers: their socket completions stay on the thread pool.
            Environment = new Dictionary<string, string>(SocketEventLoop.WorkerEnvironment())
            {
                [WorkerCommand.DecodersVariable] = workers.Decoders(parse).ToString(CultureInfo.InvariantCulture),
            },
        };
        Console.Error.WriteLine($"vaani: starting workers ({string.Join(", ", poolSpecs.Select(p => $"{p.Pool} ×{p.Workers}"))})");
        await using var node = await LocalNode.StartAsync(new LocalNodeOptions { Gateway = options, Launch = launch, Pools = poolSpecs, Control = control }, ct);
        Console.Error.WriteLine($"vaani: listening on {node.BaseUri.ToString().TrimEnd('/')}  (docs/api.md; Ctrl-C drains and stops)");
        // SIGTERM/SIGINT reach the host, which drains (docs/api.md) before returning.
        await node.App.WaitForShutdownAsync(CancellationToken.None);
        return ExitCodes.Ok;
    }

    internal static Option<string> HostOption() => new("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };

    internal static Option<string?> StoreOption() => new("--store")
    {
        Description = "Control store: empty = SQLite in the data directory; sqlite:PATH; postgres://user:password@host:port/database",
    };

    internal static Option<string?> DataDirOption() => new("--data-dir")
    {
        Description = $"Directory for the SQLite store, the usage spool and the token signing key (default ${ControlPlaneSetup.DataDirVariable} or ~/.local/share/vaani)",
    };

    internal static Option<double> MaxStalenessOption() => new("--max-staleness")
    {
        Description = "Seconds new sessions of known keys are still admitted while the control plane is unreachable",
        DefaultValueFactory = _ => 900,
    };

    internal static GatewayOptions GatewayOptionsFrom(string host, int port, TimeSpan drainGrace)
    {
        if (!IPAddress.TryParse(host, out _) && host != "localhost")
            throw new UsageException($"--host '{host}' is not an IP address");
        if (port is < 0 or > 65535) throw new UsageException($"--port {port} is out of range");
        return new GatewayOptions { Host = host, Port = port, DrainGrace = drainGrace };
    }

    internal static ControlStoreSpec ParseStore(string? value, string dataDirectory)
    {
        try { return ControlStoreSpec.Parse(value, dataDirectory); }
        catch (ArgumentException ex) { throw new UsageException(ex.Message); }
    }

    internal static string? RootKeyFromEnvironment()
    {
        var key = Environment.GetEnvironmentVariable(ControlPlaneSetup.ApiKeyVariable);
        if (string.IsNullOrWhiteSpace(key)) return null;
        key = key.Trim();
        if (!Vaani.Control.Keys.ApiKeySecret.TryParse(key, out _))
            throw new UsageException($"{ControlPlaneSetup.ApiKeyVariable} must be a Vaani key ('vaani_vk_<16 hex>_<43 letters/digits>'); 'vaani admin keys generate' prints a fresh one");
        return key;
    }

    internal static bool IsLoopback(string host) => host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}

/// <summary>The worker-pool options shared by <c>serve</c> and <c>gateway</c>.</summary>
internal sealed class WorkerOptions
{
    private readonly Option<int> _sttWorkers = new("--stt-workers") { Description = "Worker processes in the stt-en pool", DefaultValueFactory = _ => 1 };
    private readonly Option<int> _ttsWorkers = new("--tts-workers") { Description = "Worker processes in the tts pool (eSpeak NG runs one synthesis at a time per process)", DefaultValueFactory = _ => 2 };
    private readonly Option<int> _decoders = new("--decoders") { Description = "PocketSphinx decoders per stt-en worker (concurrent sessions per worker)", DefaultValueFactory = _ => 2 };
    private readonly Option<double> _drainGrace = new("--drain-grace") { Description = "Seconds running sessions may continue after SIGTERM", DefaultValueFactory = _ => 30 };
    private readonly Option<string[]> _pools = new("--pools") { Description = "Extra pools to run (e.g. stt-passthrough for benchmarks)", AllowMultipleArgumentsPerToken = true };
    private readonly Option<bool> _onlyPools = new("--only-pools") { Description = "Run only the pools given with --pools (not stt-en and tts)" };

    public void AddTo(Command command)
    {
        command.Options.Add(_sttWorkers);
        command.Options.Add(_ttsWorkers);
        command.Options.Add(_decoders);
        command.Options.Add(_drainGrace);
        command.Options.Add(_pools);
        command.Options.Add(_onlyPools);
    }

    public TimeSpan DrainGrace(ParseResult parse) => TimeSpan.FromSeconds(parse.GetValue(_drainGrace));

    public int Decoders(ParseResult parse)
    {
        int decoders = parse.GetValue(_decoders);
        // Checked here too, so the mistake is a usage error before any worker starts.
        int max = Vaani.Engines.PocketSphinx.PocketSphinxOptions.MaxPoolSize;
        if (decoders < 1 || decoders > max)
            throw new UsageException($"--decoders {decoders} is out of range: it must be between 1 and {max}");
        return decoders;
    }

    public List<(string Pool, int Workers)> Pools(ParseResult parse)
    {
        var specs = new List<(string Pool, int Workers)>();
        var extra = parse.GetValue(_pools) ?? [];
        if (!parse.GetValue(_onlyPools))
        {
            specs.Add((LocalEngines.SttEnglishPool, Math.Max(1, parse.GetValue(_sttWorkers))));
            specs.Add((LocalEngines.TtsPool, Math.Max(1, parse.GetValue(_ttsWorkers))));
        }
        else if (extra.Length == 0)
        {
            throw new UsageException("--only-pools needs --pools NAME...");
        }

        foreach (var pool in extra)
        {
            if (specs.Any(s => s.Pool == pool)) continue;
            specs.Add((pool, pool == LocalEngines.SttEnglishPool ? Math.Max(1, parse.GetValue(_sttWorkers)) : pool == LocalEngines.TtsPool ? Math.Max(1, parse.GetValue(_ttsWorkers)) : 1));
        }

        return specs;
    }
}
