using Vaani.Control.Admission;
using Vaani.Control.Domain;

namespace Vaani.Control.Tests.Admission;

public sealed class TenantConcurrencyLimiterTests
{
    private static readonly TenantId Acme = new("acme");

    [Fact]
    public void TryAcquire_ManyThreadsRacing_ExactlyLimitWinners()
    {
        for (var round = 0; round < 20; round++)
        {
            var limiter = new TenantConcurrencyLimiter();
            const int limit = 7;
            const int contenders = 64;
            var leases = new ConcurrencyLease?[contenders];
            using var start = new Barrier(contenders);
            var threads = Enumerable.Range(0, contenders).Select(i => new Thread(() =>
            {
                start.SignalAndWait();
                leases[i] = limiter.TryAcquire(Acme, UsageKind.Stt, limit);
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.Equal(limit, leases.Count(l => l is not null));
            Assert.Equal(limit, limiter.CurrentCount(Acme, UsageKind.Stt));
        }
    }

    [Fact]
    public void TryAcquire_TwoRacingForLastSlot_ExactlyOneWins()
    {
        for (var round = 0; round < 200; round++)
        {
            var limiter = new TenantConcurrencyLimiter();
            using var held = limiter.TryAcquire(Acme, UsageKind.Tts, 2);
            ConcurrencyLease? a = null, b = null;
            using var start = new Barrier(2);
            var ta = new Thread(() => { start.SignalAndWait(); a = limiter.TryAcquire(Acme, UsageKind.Tts, 2); });
            var tb = new Thread(() => { start.SignalAndWait(); b = limiter.TryAcquire(Acme, UsageKind.Tts, 2); });
            ta.Start();
            tb.Start();
            ta.Join();
            tb.Join();
            Assert.True(a is null ^ b is null);
        }
    }

    [Fact]
    public void Dispose_Twice_FreesOneSlotOnly()
    {
        var limiter = new TenantConcurrencyLimiter();
        var first = limiter.TryAcquire(Acme, UsageKind.Stt, 1);
        Assert.NotNull(first);
        Assert.Null(limiter.TryAcquire(Acme, UsageKind.Stt, 1));
        first.Dispose();
        first.Dispose();
        Assert.Equal(0, limiter.CurrentCount(Acme, UsageKind.Stt));
        Assert.NotNull(limiter.TryAcquire(Acme, UsageKind.Stt, 1));
    }

    [Fact]
    public void TryAcquire_KindsAndTenantsAreSeparateBulkheads()
    {
        var limiter = new TenantConcurrencyLimiter();
        Assert.NotNull(limiter.TryAcquire(Acme, UsageKind.Stt, 1));
        Assert.NotNull(limiter.TryAcquire(Acme, UsageKind.Tts, 1));
        Assert.NotNull(limiter.TryAcquire(new TenantId("beta"), UsageKind.Stt, 1));
        Assert.Null(limiter.TryAcquire(Acme, UsageKind.Stt, 1));
        Assert.Null(limiter.TryAcquire(Acme, UsageKind.Stt, 0));
    }

    [Fact]
    public void AcquireRelease_ConcurrentChurn_CountReturnsToZero()
    {
        var limiter = new TenantConcurrencyLimiter();
        Parallel.For(0, 20_000, _ =>
        {
            using var lease = limiter.TryAcquire(Acme, UsageKind.Stt, 3);
            Assert.True(limiter.CurrentCount(Acme, UsageKind.Stt) <= 3);
        });
        Assert.Equal(0, limiter.CurrentCount(Acme, UsageKind.Stt));
    }
}
