using System.Text.Json.Serialization;
using Vaani.Control.Domain;

namespace Vaani.Control.Snapshots;

/// <summary>
/// An immutable, versioned copy of everything the data plane needs to authenticate and admit a
/// session without calling the control plane: keys (hash + salt, never secrets), tenants, quotas,
/// the routing table and the usage totals of the current UTC day/month. Swapped atomically by
/// <see cref="SnapshotSource"/>; never mutated.
/// </summary>
public sealed record ControlSnapshot
{
    /// <summary>The store's control_version this snapshot was built from (-1 for <see cref="Empty"/>).</summary>
    public long Version { get; init; } = -1;

    /// <summary>When the control plane built it (control-plane clock).</summary>
    public DateTimeOffset BuiltAt { get; init; }

    /// <summary>
    /// When this node last confirmed the snapshot current by a successful load (this node's clock).
    /// Staleness is measured from here; never serialized.
    /// </summary>
    [JsonIgnore]
    public DateTimeOffset ConfirmedAt { get; init; } = DateTimeOffset.MinValue;

    public IReadOnlyDictionary<ApiKeyId, SnapshotKey> Keys { get; init; } = new Dictionary<ApiKeyId, SnapshotKey>();

    public IReadOnlyDictionary<TenantId, Tenant> Tenants { get; init; } = new Dictionary<TenantId, Tenant>();

    /// <summary>Quotas per tenant; a tenant without an entry is unlimited.</summary>
    public IReadOnlyDictionary<TenantId, TenantQuotas> Quotas { get; init; } = new Dictionary<TenantId, TenantQuotas>();

    /// <summary>Recorded usage per tenant for the UTC day/month of <see cref="BuiltAt"/>; a tenant without an entry has none.</summary>
    public IReadOnlyDictionary<TenantId, UsageTotals> Usage { get; init; } = new Dictionary<TenantId, UsageTotals>();

    public RouteTable Routes { get; init; } = RouteTable.Empty;

    /// <summary>The snapshot before any load succeeded: knows nothing, admits nothing.</summary>
    public static ControlSnapshot Empty { get; } = new();

    /// <summary>Whether a load ever succeeded.</summary>
    [JsonIgnore]
    public bool IsLoaded => Version >= 0;

    public TenantQuotas QuotasFor(TenantId tenant) => Quotas.TryGetValue(tenant, out var q) ? q : TenantQuotas.Unlimited;
}

/// <summary>What a snapshot holds about one API key: enough to verify a secret, never the secret.</summary>
public sealed record SnapshotKey(
    ApiKeyId Id,
    TenantId Tenant,
    byte[] SecretHash,
    byte[] Salt,
    ApiKeyScopes Scopes,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt)
{
    public static SnapshotKey From(ApiKey key) => new(key.Id, key.Tenant, key.SecretHash, key.Salt, key.Scopes, key.ExpiresAt, key.RevokedAt);
}
