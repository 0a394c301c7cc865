using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Vaani.Control.Auth;
using Vaani.Control.Domain;

namespace Vaani.Control.Admin;

/// <summary>
/// How fast callers may use the admin API: token buckets, refilled every second. Every request is
/// first charged to its client address, before its key is looked up (a flood of bad or made-up
/// credentials costs no store read), then to its key once authenticated. An edge key is charged per
/// key and address, since every gateway node of an installation may share one. Over either bucket
/// the request gets 429 <c>rate_limited</c> with <c>Retry-After</c>. In <c>vaani serve</c> the admin
/// API shares the gateway's process, so this also bounds what one admin key can take from speech.
/// </summary>
public sealed record AdminRateLimits
{
    /// <summary>Requests per second one key may sustain.</summary>
    public int KeyRequestsPerSecond { get; init; } = 50;

    /// <summary>Requests one key may send at once after a quiet spell.</summary>
    public int KeyBurst { get; init; } = 200;

    /// <summary>Requests per second one client address may sustain, whatever keys it uses.</summary>
    public int AddressRequestsPerSecond { get; init; } = 200;

    /// <summary>Requests one client address may send at once after a quiet spell.</summary>
    public int AddressBurst { get; init; } = 800;

    public static AdminRateLimits Default { get; } = new();
}

/// <summary>The buckets of <see cref="AdminRateLimits"/>; idle buckets are dropped by the limiter.</summary>
internal sealed class AdminRateLimiter(AdminRateLimits limits) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _addresses = Buckets(limits.AddressRequestsPerSecond, limits.AddressBurst);
    private readonly PartitionedRateLimiter<string> _keys = Buckets(limits.KeyRequestsPerSecond, limits.KeyBurst);

    /// <summary>Charges the request's address; the seconds to wait when its bucket is empty, else null.</summary>
    public int? ChargeAddress(HttpContext ctx) => Charge(_addresses, Address(ctx));

    /// <summary>Charges the authenticated key (an edge key per address too); the seconds to wait when its bucket is empty, else null.</summary>
    public int? ChargeKey(HttpContext ctx, AuthenticatedKey key) =>
        Charge(_keys, key.Scopes.HasFlag(ApiKeyScopes.Edge) ? $"{key.KeyId.Value} {Address(ctx)}" : key.KeyId.Value);

    private static string Address(HttpContext ctx) => ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static int? Charge(PartitionedRateLimiter<string> limiter, string partition)
    {
        using var lease = limiter.AttemptAcquire(partition);
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
    }

    private static PartitionedRateLimiter<string> Buckets(int perSecond, int burst) =>
        PartitionedRateLimiter.Create<string, string>(partition => RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>Writes the 429 for a refused request.</summary>
    public static Task RefuseAsync(HttpContext ctx, int retryAfterSeconds, string what)
    {
        ctx.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return AdminEndpoints.WriteErrorAsync(ctx, StatusCodes.Status429TooManyRequests, "rate_limited",
            $"too many admin requests from this {what}: retry in {retryAfterSeconds} s");
    }

    public void Dispose()
    {
        _addresses.Dispose();
        _keys.Dispose();
    }
}
