using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vaani.Control.Admission;
using Vaani.Control.Auth;
using Vaani.Control.Snapshots;
using Vaani.Control.Usage;

namespace Vaani.Gateway.Control;

/// <summary>
/// Everything a gateway needs to act on control state without calling the control plane on the
/// request path: the background-refreshed snapshot, the authenticator and token issuer, the
/// per-tenant/per-key limiters and quota tracker, and the durable usage spool with its delivery
/// loop. Requests only read memory and append to the local spool.
/// </summary>
public sealed partial class EdgeControl : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private Task? _listener;

    private EdgeControl(EdgeControlOptions options, UsageSpool spool, TimeProvider time, ILoggerFactory loggers)
    {
        Options = options;
        Time = time;
        _logger = loggers.CreateLogger<EdgeControl>();
        Spool = spool;
        Snapshots = new SnapshotSource(options.Loader, time, options.Snapshot, loggers.CreateLogger<SnapshotSource>());
        Tokens = new TokenIssuer(options.TokenSigningKey, time);
        Authenticator = new KeyAuthenticator(time, Tokens, options.MaxStaleness);
        Quotas = new QuotaTracker(time);
        Delivery = new UsageDelivery(spool, options.Sink, time, options.Delivery, delivered => Quotas.MarkDelivered(delivered.Select(e => e.EventId)), loggers.CreateLogger<UsageDelivery>());
    }

    public EdgeControlOptions Options { get; }

    public TimeProvider Time { get; }

    public SnapshotSource Snapshots { get; }

    public KeyAuthenticator Authenticator { get; }

    public TokenIssuer Tokens { get; }

    public TenantConcurrencyLimiter Concurrency { get; } = new();

    public KeyRateLimiter RateLimits { get; private init; } = null!;

    public QuotaTracker Quotas { get; }

    public UsageSpool Spool { get; }

    public UsageDelivery Delivery { get; }

    /// <summary>
    /// Opens the spool (recovering whatever a crash left in it), makes a first snapshot load
    /// (waiting at most <paramref name="firstLoadTimeout"/>; a failure is not fatal — the node then
    /// refuses sessions with <c>control_plane_unavailable</c> until a load succeeds) and starts the
    /// background refresh and usage delivery.
    /// </summary>
    public static async Task<EdgeControl> StartAsync(EdgeControlOptions options, TimeSpan firstLoadTimeout, ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var spool = UsageSpool.Open(options.SpoolDirectory, options.Spool);
        var edge = new EdgeControl(options, spool, time, loggers ?? NullLoggerFactory.Instance) { RateLimits = new KeyRateLimiter(time) };
        var first = edge.Snapshots.RefreshAsync();
        await Task.WhenAny(first, Task.Delay(firstLoadTimeout, time)).ConfigureAwait(false);
        edge.Snapshots.Start();
        edge.Delivery.Start();
        if (options.ChangeListener is { } listen)
            edge._listener = Task.Run(() => edge.ListenAsync(listen));
        return edge;
    }

    /// <summary>Seconds since the snapshot was last confirmed (null before the first load).</summary>
    public double? SnapshotAgeSeconds => Snapshots.Current.IsLoaded ? Math.Max(0, Snapshots.Staleness.TotalSeconds) : null;

    /// <summary>Whether new sessions can currently be authenticated (loaded and within the staleness bound).</summary>
    public bool IsFresh => Snapshots.Current.IsLoaded && Snapshots.Staleness <= Authenticator.MaxStaleness;

    private async Task ListenAsync(Func<Action, CancellationToken, Task> listen)
    {
        // A broken LISTEN connection is re-opened; the periodic refresh covers the gap.
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await listen(Snapshots.RequestRefresh, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogListenFailed(_logger, ex);
            }

            try { await Task.Delay(Options.Snapshot.RefreshInterval, Time, _stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Stops refresh and delivery after one last delivery attempt of what is spooled.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_listener is not null) await _listener.ConfigureAwait(false);
        await Snapshots.DisposeAsync().ConfigureAwait(false);
        await Delivery.DisposeAsync().ConfigureAwait(false);
        // What is not delivered now stays in the spool for the next start.
        using (var last = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            var final = new UsageDelivery(Spool, Options.Sink, Time, Options.Delivery with { MaxAttempts = 1, AttemptTimeout = TimeSpan.FromSeconds(2) });
            try { await final.DeliverPendingAsync(last.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }

        RateLimits.Dispose();
        Spool.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 7301, Level = LogLevel.Warning, Message = "Control change listener failed; relying on periodic refresh")]
    private static partial void LogListenFailed(ILogger logger, Exception error);
}
