using System.Threading.RateLimiting;

namespace Vaani.Control.Admission;

/// <summary>
/// A token bucket on the <see cref="RateLimiter"/> abstraction whose clock is a
/// <see cref="TimeProvider"/>. The framework's <see cref="TokenBucketRateLimiter"/> reads
/// <c>Stopwatch</c> directly when replenishing (even with manual replenishment), so fake time
/// cannot drive it; this one refills continuously from elapsed provider time on each acquire,
/// needs no timer, and never queues (admission refuses instead of waiting).
/// </summary>
internal sealed class TimeProviderTokenBucket : RateLimiter
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly double _ratePerSecond;
    private readonly double _capacity;
    private double _tokens;
    private long _lastRefill;
    private long _lastUse;
    private long _successes;
    private long _failures;

    public TimeProviderTokenBucket(double ratePerSecond, double capacity, TimeProvider time)
    {
        _ratePerSecond = ratePerSecond;
        _capacity = capacity;
        _time = time;
        _tokens = capacity;
        _lastRefill = _lastUse = time.GetTimestamp();
    }

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                Refill();
                return _tokens >= _capacity ? _time.GetElapsedTime(_lastUse) : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            Refill();
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = (long)_tokens,
                CurrentQueuedCount = 0,
                TotalSuccessfulLeases = _successes,
                TotalFailedLeases = _failures,
            };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_lock)
        {
            Refill();
            _lastUse = _time.GetTimestamp();
            if (permitCount == 0) return _tokens >= 1 ? Lease.Acquired : Lease.Failed(RetryAfter(1));
            if (_tokens >= permitCount)
            {
                _tokens -= permitCount;
                _successes++;
                return Lease.Acquired;
            }

            _failures++;
            return Lease.Failed(RetryAfter(permitCount));
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        => ValueTask.FromResult(AttemptAcquireCore(permitCount));

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_lastRefill, now).TotalSeconds;
        if (elapsed <= 0) return;
        _tokens = Math.Min(_capacity, _tokens + (elapsed * _ratePerSecond));
        _lastRefill = now;
    }

    private TimeSpan RetryAfter(int permits)
        => TimeSpan.FromSeconds(Math.Max(0, permits - _tokens) / _ratePerSecond);

    private sealed class Lease : RateLimitLease
    {
        public static readonly Lease Acquired = new(true, null);
        private readonly TimeSpan? _retryAfter;

        private Lease(bool acquired, TimeSpan? retryAfter)
        {
            IsAcquired = acquired;
            _retryAfter = retryAfter;
        }

        public static Lease Failed(TimeSpan retryAfter) => new(false, retryAfter);

        public override bool IsAcquired { get; }

        public override IEnumerable<string> MetadataNames => _retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (_retryAfter is { } r && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = r;
                return true;
            }

            metadata = null;
            return false;
        }
    }
}
