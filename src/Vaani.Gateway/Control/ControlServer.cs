using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vaani.Control.Admin;
using Vaani.Control.Domain;
using Vaani.Control.Store;
using Vaani.Gateway.Hosting;

namespace Vaani.Gateway.Control;

/// <summary>Settings of the control role.</summary>
public sealed record ControlServerOptions
{
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port of the admin API; 0 picks a free one.</summary>
    public int Port { get; init; } = 8081;

    public required ControlStoreSpec Store { get; init; }

    /// <summary>A root key secret to make sure of at start (<c>VAANI_API_KEY</c>); null generates one when the installation has none.</summary>
    public string? RootKey { get; init; }

    /// <summary>How fast callers may use the admin API (docs/control-plane.md, "Rate limits").</summary>
    public AdminRateLimits RateLimits { get; init; } = AdminRateLimits.Default;

    public Action<ILoggingBuilder>? Logging { get; init; }
}

/// <summary>
/// The control role: the store (SQLite or PostgreSQL, migrated at open), the default tenant and its
/// root key (bootstrapped at first start), and the admin API on its own port. Never loads an
/// engine and is never on the speech path; gateways keep working from their snapshots while it is down.
/// </summary>
public sealed class ControlServer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _purge;

    private ControlServer(WebApplication app, IControlStore store, ControlService service, CreatedApiKey? generatedKey, bool configuredKeyCreated)
    {
        App = app;
        Store = store;
        Service = service;
        GeneratedRootKey = generatedKey;
        ConfiguredKeyCreated = configuredKeyCreated;
        _purge = Task.Run(PurgeLoopAsync);
    }

    public WebApplication App { get; }

    public IControlStore Store { get; }

    public ControlService Service { get; }

    /// <summary>The root key created at this start (shown once), or null.</summary>
    public CreatedApiKey? GeneratedRootKey { get; }

    /// <summary>True when the configured <see cref="ControlServerOptions.RootKey"/> was new to the store.</summary>
    public bool ConfiguredKeyCreated { get; }

    /// <summary>The admin API's base URL, e.g. <c>http://127.0.0.1:8081</c>.</summary>
    public Uri BaseUri => new(App.Urls.First());

    public static async Task<ControlServer> StartAsync(ControlServerOptions options, CancellationToken ct)
    {
        var store = await options.Store.OpenAsync(ct).ConfigureAwait(false);
        try
        {
            var service = new ControlService(store);
            bool configuredCreated = false;
            if (options.RootKey is { } rootKey) configuredCreated = await service.EnsureRootKeyAsync(rootKey, ct).ConfigureAwait(false);
            var generated = await service.BootstrapAsync(ct).ConfigureAwait(false);

            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
            builder.Logging.ClearProviders();
            if (options.Logging is not null) options.Logging(builder.Logging);
            else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.UseKestrel(k => k.AddServerHeader = false);
            builder.WebHost.UseUrls($"http://{(options.Host.Contains(':', StringComparison.Ordinal) && !options.Host.StartsWith('[') ? $"[{options.Host}]" : options.Host)}:{options.Port}");
            var app = builder.Build();
            // In `vaani serve` the admin API shares the gateway's process and its socket event loop:
            // a store read (Npgsql) completes there, and the handler must not go on running there.
            app.UseMiddleware<LeaveEventLoopMiddleware>();
            app.MapControlAdminApi(service, limits: options.RateLimits);
            app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
            app.MapGet("/readyz", async (CancellationToken rct) =>
            {
                try
                {
                    var version = await store.GetControlVersionAsync(rct).ConfigureAwait(false);
                    return Results.Json(new { status = "ready", control_version = version, store = options.Store.Describe() });
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    return Results.Json(new { status = "store_unavailable", error = ex.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
                }
            });
            await app.StartAsync(ct).ConfigureAwait(false);
            return new ControlServer(app, store, service, generated, configuredCreated);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task PurgeLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        try
        {
            do
            {
                try { await Service.PurgeIdempotencyAsync(_stop.Token).ConfigureAwait(false); }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The store is unreachable for now; the next round tries again.
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _purge.ConfigureAwait(false);
        try { await App.StopAsync().ConfigureAwait(false); } catch (OperationCanceledException) { }
        await App.DisposeAsync().ConfigureAwait(false);
        await Store.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
