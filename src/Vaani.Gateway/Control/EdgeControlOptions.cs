using Vaani.Control.Auth;
using Vaani.Control.Snapshots;
using Vaani.Control.Usage;

namespace Vaani.Gateway.Control;

/// <summary>
/// How a gateway reaches control state: where its snapshot comes from, where usage goes, and where
/// usage is spooled meanwhile. Single-node mode uses the local store for both
/// (<see cref="StoreSnapshotLoader"/>, <see cref="StoreUsageSink"/>); multi-node mode the control
/// node's admin API (<see cref="HttpSnapshotLoader"/>, <see cref="HttpUsageSink"/>).
/// </summary>
public sealed record EdgeControlOptions
{
    public required ISnapshotLoader Loader { get; init; }

    public required IUsageSink Sink { get; init; }

    /// <summary>Directory of the durable usage spool; must survive a restart of the process.</summary>
    public required string SpoolDirectory { get; init; }

    /// <summary>Key that signs short-lived <c>?token=</c> tokens (≥ 32 bytes); shared by every gateway.</summary>
    public required byte[] TokenSigningKey { get; init; }

    /// <summary>How old control state may be and still admit new sessions (fail-static window).</summary>
    public TimeSpan MaxStaleness { get; init; } = KeyAuthenticator.DefaultMaxStaleness;

    public SnapshotSourceOptions Snapshot { get; init; } = new();

    public UsageDeliveryOptions Delivery { get; init; } = new();

    public UsageSpoolOptions Spool { get; init; } = new();

    /// <summary>Optional change signal (PostgreSQL LISTEN): called with the refresh action, runs until the token is cancelled.</summary>
    public Func<Action, CancellationToken, Task>? ChangeListener { get; init; }
}
