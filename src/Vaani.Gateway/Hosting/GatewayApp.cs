using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vaani.Gateway.Admission;
using Vaani.Gateway.Compat;
using Vaani.Gateway.Compat.Deepgram;
using Vaani.Gateway.Compat.OpenAI;
using Vaani.Gateway.Control;
using Vaani.Gateway.Http;
using Vaani.Gateway.Realtime;
using Vaani.Gateway.Routing;
using Vaani.Gateway.Stt;
using Vaani.Gateway.Transport;
using Vaani.Gateway.Tts;

namespace Vaani.Gateway.Hosting;

/// <summary>Builds the gateway web application: Kestrel, the native API endpoints, health and drain.</summary>
public static class GatewayApp
{
    /// <summary>
    /// The gateway's logging: <paramref name="logging"/> when given, else warnings and errors on the
    /// console, one line each; the hosting layer's per-request log always off.
    /// </summary>
    public static void ConfigureLogging(ILoggingBuilder builder, Action<ILoggingBuilder>? logging)
    {
        builder.ClearProviders();
        if (logging is not null) logging(builder);
        else builder.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(LogLevel.Warning);
        // The hosting layer's request log (request start and finish, Information and Debug) is off.
        // While its logger is enabled at all, the host starts an Activity and a log scope for every
        // request, and a streaming session carries both for its whole life: two async-local values
        // that every continuation of the session restores. A tracing listener still gets activities.
        builder.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
    }

    /// <param name="control">
    /// Control state for authentication, limits, quotas and usage (<see cref="ControlSessionGuard"/>);
    /// null runs without authentication (<see cref="OpenSessionGuard"/>, loopback only).
    /// </param>
    public static WebApplication Build(GatewayOptions options, IEngineRouter router, Action<ILoggingBuilder>? logging = null, EdgeControl? control = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        ConfigureLogging(builder.Logging, logging);
        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxUploadBytes;
            k.AddServerHeader = false;
        });
        // Request code runs on the thread that completed the socket read (a thread-pool thread, not
        // the epoll thread) instead of being handed to another pool thread: one thread wake-up less
        // per received WebSocket frame. Endpoints never block a thread (everything is async).
        builder.WebHost.UseSockets(s => s.UnsafePreferInlineScheduling = true);
        // Registered last, so Kestrel binds its TCP listeners with it: the same HTTP service, and
        // WebSocket sessions get their socket straight after the handshake (Transport/).
        bool direct = EventLoop(options) is not null;
        if (direct) builder.Services.AddSingleton<IConnectionListenerFactory>(new DirectTransportFactory(() => EventLoop(options)!));
        builder.WebHost.UseUrls($"http://{FormatHost(options.Host)}:{options.Port}");
        // Sessions get the drain grace to finish; the host waits a little longer for their flush.
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.DrainGrace + options.FlushTimeout);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(router);
        builder.Services.AddSingleton(TimeProvider.System);
        // Idle timeouts and keepalives of every connection share one timer (Realtime/Ticker.cs).
        // On the event loop when there is one (and the clock is the system's): a tick then wakes no
        // other thread, and the checks run beside the sockets they look at.
        builder.Services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            return new Ticker(TimeSpan.FromSeconds(1), direct && time == TimeProvider.System ? new Vaani.Workers.Net.EventLoopTimeProvider(EventLoop(options)!) : time);
        });
        builder.Services.AddSingleton<AdmissionController>();
        if (control is null)
        {
            builder.Services.AddSingleton<ISessionGuard, OpenSessionGuard>();
        }
        else
        {
            builder.Services.AddSingleton(control);
            builder.Services.AddSingleton<ControlSessionGuard>();
            builder.Services.AddSingleton<ISessionGuard>(sp => sp.GetRequiredService<ControlSessionGuard>());
        }
        builder.Services.AddSingleton<DrainSignal>();
        builder.Services.AddSingleton<SttStreamEndpoint>();
        builder.Services.AddSingleton<SttBatchEndpoint>();
        builder.Services.AddSingleton<TtsStreamEndpoint>();
        builder.Services.AddSingleton<TtsHttpEndpoint>();
        builder.Services.AddCompatApis(options.Compat ?? CompatOptions.FromEnvironment());

        var app = builder.Build();
        var admission = app.Services.GetRequiredService<AdmissionController>();
        var drain = app.Services.GetRequiredService<DrainSignal>();
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStopping.Register(() =>
        {
            admission.BeginDrain();
            if (admission.Active == 0) { drain.Set(); return; }
            _ = Task.Run(async () =>
            {
                var deadline = DateTime.UtcNow + options.DrainGrace;
                while (admission.Active > 0 && DateTime.UtcNow < deadline)
                    await Task.Delay(100);
                drain.Set();
            });
        });

        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Unexpected failures still answer in the documented error shape.
            ExceptionHandler = ctx =>
            {
                var error = ctx.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Error;
                return (error switch
                {
                    BadHttpRequestException { StatusCode: 413 } => ApiErrors.Error(413, "payload_too_large", $"the request body is larger than the limit of {options.MaxUploadBytes} bytes"),
                    BadHttpRequestException b => ApiErrors.Error(b.StatusCode, "bad_request", b.Message),
                    _ => ApiErrors.Error(StatusCodes.Status500InternalServerError, "internal_error", "the request failed inside the gateway; see its log"),
                }).ExecuteAsync(ctx);
            },
        });
        if (control is not null) app.UseSnapshotAgeHeader(control);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = options.KeepAliveInterval });
        if (direct) app.UseMiddleware<DirectWebSocketMiddleware>(options.KeepAliveInterval, app.Services.GetRequiredService<Ticker>());
        app.UseMiddleware<LeaveEventLoopMiddleware>();
        app.Map("/v1/stt/stream", (HttpContext ctx) => app.Services.GetRequiredService<SttStreamEndpoint>().HandleAsync(ctx));
        app.MapPost("/v1/stt", (HttpContext ctx) => app.Services.GetRequiredService<SttBatchEndpoint>().HandleAsync(ctx));
        app.Map("/v1/tts/stream", (HttpContext ctx) => app.Services.GetRequiredService<TtsStreamEndpoint>().HandleAsync(ctx));
        app.MapPost("/v1/tts", (HttpContext ctx) => app.Services.GetRequiredService<TtsHttpEndpoint>().HandleAsync(ctx, sse: false));
        app.MapPost("/v1/tts/sse", (HttpContext ctx) => app.Services.GetRequiredService<TtsHttpEndpoint>().HandleAsync(ctx, sse: true));
        if (control is not null) app.MapTokenEndpoint(control, app.Services.GetRequiredService<ControlSessionGuard>());
        CatalogEndpoints.Map(app, router);
        DeepgramEndpoints.Map(app);
        OpenAiEndpoints.Map(app);
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
        app.MapGet("/readyz", () =>
        {
            var pools = router.Pools.Select(p => new { name = p.Name, serving = p.IsServing, active = admission.ActiveIn(p.Name), capacity = p.Capacity }).ToArray();
            bool controlOk = control is null || control.IsFresh;
            bool ready = !admission.IsDraining && pools.All(p => p.serving) && controlOk;
            var status = admission.IsDraining ? "draining" : !controlOk ? "control_unavailable" : ready ? "ready" : "starting";
            var controlState = control is null ? null : new
            {
                snapshot_version = control.Snapshots.Version,
                snapshot_age_seconds = control.SnapshotAgeSeconds,
                max_staleness_seconds = control.Authenticator.MaxStaleness.TotalSeconds,
                last_error = control.Snapshots.LastError?.Message,
                usage_pending_bytes = control.Spool.PendingBytes,
            };
            return Results.Json(new { status, pools, control = controlState },
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        app.MapFallback((HttpContext ctx) => ApiErrors.Error(StatusCodes.Status404NotFound, "not_found", $"no endpoint at {ctx.Request.Method} {ctx.Request.Path}; see docs/api.md"));
        return app;
    }

    private static string FormatHost(string host) => host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;

    /// <summary>
    /// The event loop the next connection goes to: one of the process's
    /// (<see cref="SocketEventLoop.LoopCount"/> of them), or null when
    /// <see cref="GatewayOptions.DirectWebSockets"/> is off or the platform has no loop
    /// (<see cref="Vaani.Workers.Net.EventLoop.IsSupported"/>); sockets then stay on the runtime's engine.
    /// </summary>
    public static Vaani.Workers.Net.EventLoop? EventLoop(GatewayOptions options) =>
        options.DirectWebSockets ? Vaani.Workers.Net.EventLoop.Shared(SocketEventLoop.LoopCount(Environment.ProcessorCount)) : null;
}
