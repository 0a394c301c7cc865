using Vaani.Control.Admission;
using Vaani.Control.Domain;
using Vaani.Control.Tests.Support;
using Vaani.Testing;

namespace Vaani.Control.Tests.Admission;

public sealed class KeyRateLimiterTests
{
    private readonly FakeTimeProvider _time = new(TestData.T0);

    [Fact]
    public void TryAcquire_BurstBeyondRate_RefusedWithRetryAfterThenRefilled()
    {
        using var limiter = new KeyRateLimiter(_time);
        var key = ApiKeyId.New();
        for (var i = 0; i < 5; i++) Assert.True(limiter.TryAcquire(key, 5).Allowed, $"request {i}");
        var refused = limiter.TryAcquire(key, 5);
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromMilliseconds(200), refused.RetryAfter);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.False(limiter.TryAcquire(key, 5).Allowed);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(limiter.TryAcquire(key, 5).Allowed);
        Assert.False(limiter.TryAcquire(key, 5).Allowed);
        // A long pause refills only up to the burst of one second's worth.
        _time.Advance(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 5; i++) Assert.True(limiter.TryAcquire(key, 5).Allowed, $"refilled request {i}");
        Assert.False(limiter.TryAcquire(key, 5).Allowed);
    }

    [Fact]
    public void TryAcquire_KeysArePartitioned()
    {
        using var limiter = new KeyRateLimiter(_time);
        var a = ApiKeyId.New();
        var b = ApiKeyId.New();
        Assert.True(limiter.TryAcquire(a, 1).Allowed);
        Assert.False(limiter.TryAcquire(a, 1).Allowed);
        Assert.True(limiter.TryAcquire(b, 1).Allowed);
        Assert.True(limiter.TryAcquire(a, null).Allowed);
    }

    [Fact]
    public void TryAcquire_FractionalRate_OnePermitPerPeriod()
    {
        using var limiter = new KeyRateLimiter(_time);
        var key = ApiKeyId.New();
        Assert.True(limiter.TryAcquire(key, 0.5).Allowed);
        Assert.False(limiter.TryAcquire(key, 0.5).Allowed);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(limiter.TryAcquire(key, 0.5).Allowed);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(key, 0.5).Allowed);
    }

    [Fact]
    public void IdleKeys_AfterEvictionWindow_AreDropped()
    {
        using var limiter = new KeyRateLimiter(_time);
        for (var i = 0; i < 100; i++) limiter.TryAcquire(ApiKeyId.New(), 10);
        Assert.Equal(100, limiter.PartitionCount);
        _time.Advance(KeyRateLimiter.IdleEviction * 1.5 + TimeSpan.FromSeconds(1));
        Assert.Equal(0, limiter.PartitionCount);
    }
}
