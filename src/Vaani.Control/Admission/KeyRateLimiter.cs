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
/// Requests-per-second per API key: one <see cref="TokenBucketRateLimiter"/> per key (partitioned
/// by key id), burst = one second's worth. Buckets are replenished by a timer from the injected
/// <see cref="TimeProvider"/> (not the limiter's own wall-clock timer) so behaviour is testable with
/// fake time. Idle buckets are dropped so memory stays bounded by the number of active keys.
/// </summary>
public sealed class KeyRateLimiter : IDisposable
{
    /// <summary>How often the replenishment timer runs.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    /// <summary>A full bucket unused for this long is dropped.</summary>
    public static readonly TimeSpan IdleEviction = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<ApiKeyId, Partition> _partitions = new();
    private readonly TimeProvider _time;
    private readonly ITimer _timer;

    public KeyRateLimiter(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _timer = _time.CreateTimer(_ => Replenish(), null, Tick, Tick);
    }

    /// <summary>Number of keys with a live bucket.</summary>
    public int PartitionCount => _partitions.Count;

    /// <summary>Takes one permit for <paramref name="key"/>; null <paramref name="requestsPerSecond"/> means unlimited.</summary>
    public RateLimitDecision TryAcquire(ApiKeyId key, double? requestsPerSecond)
    {
        if (requestsPerSecond is not { } rps) return RateLimitDecision.Allow;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var partition = _partitions.AddOrUpdate(key,
                _ => Partition.Create(rps, _time.GetUtcNow()),
                (_, existing) => existing.Rate == rps ? existing : Partition.Create(rps, _time.GetUtcNow()));
            try
            {
                partition.LastUsed = _time.GetTimestamp();
                using var lease = partition.Limiter.AttemptAcquire(1);
                if (lease.IsAcquired) return RateLimitDecision.Allow;
                return new RateLimitDecision(false, partition.Period);
            }
            catch (ObjectDisposedException)
            {
                // Evicted between lookup and use: take a fresh bucket.
            }
        }

        return RateLimitDecision.Allow;
    }

    private void Replenish()
    {
        var now = _time.GetUtcNow();
        var nowTicks = _time.GetTimestamp();
        foreach (var (key, partition) in _partitions)
        {
            while (partition.NextDue <= now)
            {
                partition.Limiter.TryReplenish();
                partition.NextDue += partition.Period;
            }

            var idle = _time.GetElapsedTime(partition.LastUsed, nowTicks);
            if (idle > IdleEviction && partition.Limiter.GetStatistics()?.CurrentAvailablePermits >= partition.TokenLimit
                && _partitions.TryRemove(new KeyValuePair<ApiKeyId, Partition>(key, partition)))
            {
                partition.Limiter.Dispose();
            }
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        foreach (var p in _partitions.Values) p.Limiter.Dispose();
        _partitions.Clear();
    }

    private sealed class Partition
    {
        public required TokenBucketRateLimiter Limiter { get; init; }
        public required double Rate { get; init; }
        public required TimeSpan Period { get; init; }
        public required int TokenLimit { get; init; }
        public DateTimeOffset NextDue { get; set; }
        public long LastUsed { get; set; }

        public static Partition Create(double rps, DateTimeOffset now)
        {
            // Below 1/s: one token every 1/rps seconds. Otherwise: rps tokens each second, burst of rps.
            var (tokens, period) = rps < 1 ? (1, TimeSpan.FromSeconds(1 / rps)) : ((int)Math.Round(rps), TimeSpan.FromSeconds(1));
            return new Partition
            {
                Limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
                {
                    TokenLimit = tokens,
                    TokensPerPeriod = tokens,
                    ReplenishmentPeriod = period,
                    AutoReplenishment = false,
                    QueueLimit = 0,
                }),
                Rate = rps,
                Period = period,
                TokenLimit = tokens,
                NextDue = now + period,
            };
        }
    }
}
