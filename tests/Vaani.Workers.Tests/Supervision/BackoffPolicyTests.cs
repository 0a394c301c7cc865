using Vaani.Workers.Supervision;

namespace Vaani.Workers.Tests.Supervision;

public sealed class BackoffPolicyTests
{
    [Fact]
    public void DelayFor_NoJitter_DoublesFromInitialUntilCapped()
    {
        var policy = new BackoffPolicy { Initial = TimeSpan.FromMilliseconds(200), Max = TimeSpan.FromSeconds(5), Multiplier = 2, Jitter = 0 };

        var schedule = Enumerable.Range(1, 8).Select(n => policy.DelayFor(n, 0.9).TotalMilliseconds).ToArray();

        Assert.Equal(new double[] { 200, 400, 800, 1600, 3200, 5000, 5000, 5000 }, schedule);
    }

    [Fact]
    public void DelayFor_Jitter_ShortensByAtMostTheFraction()
    {
        var policy = new BackoffPolicy { Initial = TimeSpan.FromSeconds(1), Max = TimeSpan.FromSeconds(30), Jitter = 0.25 };

        Assert.Equal(TimeSpan.FromSeconds(4), policy.DelayFor(3, 0));
        Assert.Equal(TimeSpan.FromSeconds(3.5), policy.DelayFor(3, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(3), policy.DelayFor(3, 1));
    }

    [Fact]
    public void DelayFor_HugeFailureCount_StaysAtCap()
    {
        var policy = new BackoffPolicy { Jitter = 0 };
        Assert.Equal(policy.Max, policy.DelayFor(100_000, 0));
    }

    [Fact]
    public void DelayFor_ZeroFailures_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackoffPolicy().DelayFor(0, 0));
    }
}

public sealed class BackoffPolicyResolutionTests
{
    [Fact]
    public void DelayFor_AnyJitter_IsWholeMilliseconds()
    {
        var policy = new BackoffPolicy { Initial = TimeSpan.FromMilliseconds(333), Jitter = 0.37 };
        for (var i = 1; i < 10; i++)
            Assert.Equal(0, policy.DelayFor(i, 0.123456789).Ticks % TimeSpan.TicksPerMillisecond);
    }
}
