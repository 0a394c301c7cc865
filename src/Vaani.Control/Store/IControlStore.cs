using Vaani.Control.Domain;
using Vaani.Control.Snapshots;

namespace Vaani.Control.Store;

/// <summary>
/// Durable control state: tenants, hashed API keys, quotas, the routing table, the usage ledger
/// and idempotency records. Every change to tenants, keys, quotas or routes bumps
/// <c>control_version</c> in the same transaction, so snapshots can be compared by version.
/// Implementations: <see cref="SqliteControlStore"/> (embedded default) and
/// <see cref="PostgresControlStore"/> (multi-node; also emits <c>NOTIFY vaani_control</c>).
/// </summary>
public interface IControlStore : IAsyncDisposable
{
    /// <summary>The current control version (0 on a fresh store).</summary>
    Task<long> GetControlVersionAsync(CancellationToken ct = default);

    /// <summary>Inserts a tenant; <see cref="ControlErrorCode.AlreadyExists"/> when the id is taken.</summary>
    Task CreateTenantAsync(Tenant tenant, CancellationToken ct = default);

    Task<Tenant?> GetTenantAsync(TenantId id, CancellationToken ct = default);

    Task<IReadOnlyList<Tenant>> ListTenantsAsync(CancellationToken ct = default);

    /// <summary>Enables or disables a tenant; false when it does not exist.</summary>
    Task<bool> SetTenantDisabledAsync(TenantId id, bool disabled, CancellationToken ct = default);

    Task InsertApiKeyAsync(ApiKey key, CancellationToken ct = default);

    Task<ApiKey?> GetApiKeyAsync(ApiKeyId id, CancellationToken ct = default);

    /// <summary>Keys of one tenant, or of all tenants when <paramref name="tenant"/> is null.</summary>
    Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(TenantId? tenant, CancellationToken ct = default);

    /// <summary>Marks a key revoked (first revocation time wins); false when it does not exist.</summary>
    Task<bool> RevokeApiKeyAsync(ApiKeyId id, DateTimeOffset revokedAt, CancellationToken ct = default);

    Task SetQuotasAsync(TenantId tenant, TenantQuotas quotas, CancellationToken ct = default);

    /// <summary>The tenant's quotas, or null when none were set (unlimited).</summary>
    Task<TenantQuotas?> GetQuotasAsync(TenantId tenant, CancellationToken ct = default);

    Task SetRoutesAsync(RouteTable routes, CancellationToken ct = default);

    Task<RouteTable> GetRoutesAsync(CancellationToken ct = default);

    /// <summary>Inserts a usage event; true when it was new, false when its event id was already recorded.</summary>
    Task<bool> InsertUsageAsync(UsageEvent usage, CancellationToken ct = default);

    /// <summary>Inserts a batch in one transaction; returns how many were new.</summary>
    Task<int> InsertUsageBatchAsync(IReadOnlyList<UsageEvent> events, CancellationToken ct = default);

    /// <summary>Usage of a tenant grouped by UTC day or month, for buckets in [from, to] (inclusive, UTC dates).</summary>
    Task<IReadOnlyList<UsageAggregate>> QueryUsageAsync(TenantId tenant, UsagePeriod period, DateOnly from, DateOnly to, CancellationToken ct = default);

    /// <summary>
    /// Reserves an idempotency key. Returns null when the reservation is new (the caller executes
    /// the operation and then calls <see cref="CompleteIdempotencyAsync"/>), otherwise the existing record.
    /// </summary>
    Task<IdempotencyRecord?> TryReserveIdempotencyAsync(TenantId tenant, string key, string requestHash, DateTimeOffset now, CancellationToken ct = default);

    Task CompleteIdempotencyAsync(TenantId tenant, string key, int status, string responseJson, CancellationToken ct = default);

    /// <summary>Drops a reservation whose operation failed, so a retry can execute again.</summary>
    Task ReleaseIdempotencyAsync(TenantId tenant, string key, CancellationToken ct = default);

    /// <summary>Deletes idempotency records created before <paramref name="cutoff"/>; returns how many.</summary>
    Task<int> PurgeIdempotencyAsync(DateTimeOffset cutoff, CancellationToken ct = default);

    /// <summary>Reads everything a data-plane snapshot needs, consistently, with usage totals for the UTC day/month of <paramref name="now"/>.</summary>
    Task<ControlSnapshot> LoadSnapshotAsync(DateTimeOffset now, CancellationToken ct = default);
}

/// <summary>A stored idempotency record; <see cref="ResponseJson"/> is null while the first call is still running.</summary>
public sealed record IdempotencyRecord(TenantId Tenant, string Key, string RequestHash, int? Status, string? ResponseJson, DateTimeOffset CreatedAt);
