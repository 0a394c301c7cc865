using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Vaani.Control.Domain;

namespace Vaani.Control.Admission;

/// <summary>Outcome of a rate-limit check.</summary>
public sealed record RateLimitDecision(bool Allowed, TimeSpan? RetryAfter)
{
    public static RateLimitDecision Allow { get; } = new(true, null);
}

/// <summary>
/// Requests-per-second per API key: one token bucket (a <see cref="RateLimiter"/>) per key id,
/// capacity = one second's worth (at least 1), refilled continuously. Refusals carry the
/// Retry-After until the next token. Buckets idle and full for <see cref="IdleEviction"/> are
/// dropped by a periodic sweep, so memory is bounded by the number of recently active keys.
/// </summary>
public sealed class KeyRateLimiter : IDisposable
{
    /// <summary>A full bucket unused for this long is dropped.</summary>
    public static readonly TimeSpan IdleEviction = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<ApiKeyId, Partition> _partitions = new();
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;

    public KeyRateLimiter(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _sweeper = _time.CreateTimer(_ => Sweep(), null, IdleEviction / 2, IdleEviction / 2);
    }

    /// <summary>Number of keys with a live bucket.</summary>
    public int PartitionCount => _partitions.Count;

    /// <summary>Takes one permit for <paramref name="key"/>; a null <paramref name="requestsPerSecond"/> means unlimited.</summary>
    public RateLimitDecision TryAcquire(ApiKeyId key, double? requestsPerSecond)
    {
        if (requestsPerSecond is not { } rps) return RateLimitDecision.Allow;
        var partition = _partitions.AddOrUpdate(key,
            _ => new Partition(rps, new TimeProviderTokenBucket(rps, Math.Max(1, rps), _time)),
            (_, existing) => existing.Rate == rps ? existing : new Partition(rps, new TimeProviderTokenBucket(rps, Math.Max(1, rps), _time)));
        using var lease = partition.Limiter.AttemptAcquire(1);
        if (lease.IsAcquired) return RateLimitDecision.Allow;
        return new RateLimitDecision(false, lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : null);
    }

    private void Sweep()
    {
        foreach (var (key, partition) in _partitions)
        {
            if (partition.Limiter.IdleDuration >= IdleEviction)
            {
                _partitions.TryRemove(new KeyValuePair<ApiKeyId, Partition>(key, partition));
            }
        }
    }

    public void Dispose() => _sweeper.Dispose();

    private sealed record Partition(double Rate, RateLimiter Limiter);
}
