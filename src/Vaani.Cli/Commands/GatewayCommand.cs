using System.CommandLine;
using Vaani.Control.Snapshots;
using Vaani.Control.Usage;
using Vaani.Gateway.Control;
using Vaani.Gateway.Hosting;

namespace Vaani.Cli.Commands;

/// <summary>
/// <c>vaani gateway --control URL</c>: a gateway with its own supervised workers in multi-node
/// mode. Control state comes from the control node's admin API (<c>GET /admin/v1/snapshot</c>,
/// refreshed in the background); usage goes to a local spool and from there to
/// <c>POST /admin/v1/usage/events</c>. The control node being down affects neither running
/// sessions nor, within <c>--max-staleness</c>, new sessions of known keys.
/// </summary>
internal static class GatewayCommand
{
    public static Command Create()
    {
        var host = ServeCommand.HostOption();
        var port = new Option<int>("--port", "-p") { Description = "TCP port (0 picks a free one)", DefaultValueFactory = _ => 8080 };
        var controlUrl = new Option<string>("--control") { Description = "Base URL of the control node's admin API, e.g. http://10.0.0.5:8081", Required = true };
        var controlKey = new Option<string?>("--control-key") { Description = $"Key for the control node: an edge key (admin keys create default --scopes edge) or a root key (default ${ControlPlaneSetup.ControlKeyVariable})" };
        var dataDir = ServeCommand.DataDirOption();
        var spoolDir = new Option<string?>("--spool-dir") { Description = "Directory of the durable usage spool (default: {data dir}/spool-<port>)" };
        var maxStaleness = ServeCommand.MaxStalenessOption();
        var refresh = new Option<double>("--refresh-interval") { Description = "Seconds between snapshot loads", DefaultValueFactory = _ => 5 };
        var listen = new Option<string?>("--listen-store") { Description = "postgres:// URL of the control store, to refresh on its change notifications instead of waiting for the next poll" };
        var workers = new WorkerOptions();
        var command = new Command("gateway", "Run a gateway and its engine workers against a separate control node") { host, port, controlUrl, controlKey, dataDir, spoolDir, maxStaleness, refresh, listen };
        workers.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            // Before anything opens a socket (docs/cli.md, "Socket completions").
            SocketEventLoop.EnableUnlessConfigured();
            var options = ServeCommand.GatewayOptionsFrom(parse.GetValue(host)!, parse.GetValue(port), workers.DrainGrace(parse));
            if (!Uri.TryCreate(parse.GetValue(controlUrl), UriKind.Absolute, out var control) || (control.Scheme != "http" && control.Scheme != "https"))
                throw new UsageException($"--control '{parse.GetValue(controlUrl)}' is not an http(s) URL");
            if (!control.AbsolutePath.EndsWith('/')) control = new Uri(control + "/");
            var key = parse.GetValue(controlKey) ?? Environment.GetEnvironmentVariable(ControlPlaneSetup.ControlKeyVariable);
            if (string.IsNullOrWhiteSpace(key))
                throw new UsageException($"a key for the control node is needed (an edge key: vaani admin keys create default --scopes edge): --control-key or ${ControlPlaneSetup.ControlKeyVariable}");
            key = key.Trim();
            var refreshInterval = TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(refresh), 0.2, 300));
            string? listenConnection = null;
            if (parse.GetValue(listen) is { Length: > 0 } listenUrl)
            {
                var spec = ServeCommand.ParseStore(listenUrl, ".");
                if (!spec.IsPostgres) throw new UsageException("--listen-store takes a postgres:// URL");
                listenConnection = spec.Target;
            }

            var data = ControlPlaneSetup.DataDirectory(parse.GetValue(dataDir));
            var spool = parse.GetValue(spoolDir) is { Length: > 0 } s ? Path.GetFullPath(s) : Path.Combine(data, $"spool-{options.Port}");
            ControlPlaneSetup.EnsurePrivateDirectory(Path.GetDirectoryName(spool)!);
            // One client for both loops; each request has its own deadline through its token.
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            await using var edge = await EdgeControl.StartAsync(new EdgeControlOptions
            {
                Loader = new HttpSnapshotLoader(http, control, key),
                Sink = new HttpUsageSink(http, control, key),
                SpoolDirectory = spool,
                TokenSigningKey = ControlPlaneSetup.TokenSigningKey(null, key),
                MaxStaleness = TimeSpan.FromSeconds(parse.GetValue(maxStaleness)),
                Snapshot = new SnapshotSourceOptions { RefreshInterval = refreshInterval, LoadTimeout = TimeSpan.FromSeconds(5) },
                Delivery = ControlPlaneSetup.Delivery with { AttemptTimeout = TimeSpan.FromSeconds(5) },
                ChangeListener = listenConnection is null ? null : (onChange, lct) => PostgresChangeListener.ListenAsync(listenConnection, onChange, lct),
            }, TimeSpan.FromSeconds(10));
            Console.Error.WriteLine(edge.Snapshots.Current.IsLoaded
                ? $"vaani: control snapshot version {edge.Snapshots.Version} loaded from {control}"
                : $"vaani: control node {control} not reachable yet ({edge.Snapshots.LastError?.Message}); sessions are refused until it is");
            Console.Error.WriteLine($"vaani: usage spool {spool}");
            return await ServeCommand.RunNodeAsync(options, workers, parse, edge, ct);
        });
        return command;
    }
}
