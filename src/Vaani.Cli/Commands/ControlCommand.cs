using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Vaani.Gateway.Control;

namespace Vaani.Cli.Commands;

/// <summary>
/// <c>vaani control</c>: the control role alone (multi-node mode): the store (SQLite in the data
/// directory, or PostgreSQL with <c>--store postgres://…</c>), migrated at start, and the admin API.
/// Gateways started with <c>vaani gateway --control URL</c> load their snapshots from it and
/// deliver usage to it.
/// </summary>
internal static class ControlCommand
{
    public static Command Create()
    {
        var host = ServeCommand.HostOption();
        var port = new Option<int>("--port", "-p") { Description = "TCP port of the admin API (0 picks a free one)", DefaultValueFactory = _ => 8081 };
        var store = ServeCommand.StoreOption();
        var dataDir = ServeCommand.DataDirOption();
        var adminRates = new AdminRateOptions();
        var command = new Command("control", "Run the control plane: store, tenants, keys, quotas, usage ledger, admin API") { host, port, store, dataDir };
        adminRates.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var h = parse.GetValue(host)!;
            var p = parse.GetValue(port);
            ServeCommand.GatewayOptionsFrom(h, p, TimeSpan.Zero); // validates host and port
            var rateLimits = adminRates.Limits(parse);
            var data = ControlPlaneSetup.DataDirectory(parse.GetValue(dataDir));
            ControlPlaneSetup.EnsurePrivateDirectory(data);
            var spec = ServeCommand.ParseStore(parse.GetValue(store), data);
            await using var control = await ControlServer.StartAsync(new ControlServerOptions
            {
                Host = h,
                Port = p,
                Store = spec,
                RootKey = ServeCommand.RootKeyFromEnvironment(),
                RateLimits = rateLimits,
            }, ct);
            ControlPlaneSetup.AnnounceRootKey(control);
            Console.Error.WriteLine($"vaani: control plane listening on {control.BaseUri.ToString().TrimEnd('/')} ({spec.Describe()}; Ctrl-C stops)");
            await control.App.WaitForShutdownAsync(CancellationToken.None);
            return ExitCodes.Ok;
        });
        return command;
    }
}
