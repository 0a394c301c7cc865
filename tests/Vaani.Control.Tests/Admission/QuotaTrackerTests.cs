using Vaani.Control.Admission;
using Vaani.Control.Domain;
using Vaani.Control.Snapshots;
using Vaani.Control.Tests.Support;
using Vaani.Testing;

namespace Vaani.Control.Tests.Admission;

public sealed class QuotaTrackerTests
{
    private static readonly TenantId Acme = new("acme");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 18, 0, 0, TimeSpan.Zero));

    private ControlSnapshot Snapshot(TenantQuotas quotas, UsageTotals? usage = null) => new()
    {
        Version = 1,
        BuiltAt = _time.GetUtcNow(),
        ConfirmedAt = _time.GetUtcNow(),
        Quotas = new Dictionary<TenantId, TenantQuotas> { [Acme] = quotas },
        Usage = usage is null ? new Dictionary<TenantId, UsageTotals>() : new Dictionary<TenantId, UsageTotals> { [Acme] = usage },
    };

    [Fact]
    public void Check_DailyAudioExhaustedBySnapshot_RefusedUntilNextUtcDay()
    {
        var tracker = new QuotaTracker(_time);
        var snap = Snapshot(new TenantQuotas { AudioSecondsPerDay = 3600 }, new UsageTotals("2026-11-22", "2026-11", 3600, 3600, 0, 0));
        var decision = tracker.Check(Acme, UsageKind.Stt, snap);
        Assert.False(decision.Allowed);
        Assert.Equal("audio_seconds_per_day", decision.Limit);
        Assert.Equal(TimeSpan.FromHours(6), decision.RetryAfter);
        Assert.Contains("audio_seconds_per_day exhausted", decision.Describe());
        Assert.True(tracker.Check(Acme, UsageKind.Tts, snap).Allowed);
    }

    [Fact]
    public void Check_MonthlyCharsWithLocalPending_RefusedUntilNextUtcMonth()
    {
        var tracker = new QuotaTracker(_time);
        var snap = Snapshot(new TenantQuotas { TtsCharsPerMonth = 1000 }, new UsageTotals("2026-11-22", "2026-11", 0, 0, 0, 900));
        Assert.True(tracker.Check(Acme, UsageKind.Tts, snap).Allowed);
        tracker.RecordPending(TestData.Usage("p1", "acme", UsageKind.Tts, chars: 100, at: _time.GetUtcNow()));
        var decision = tracker.Check(Acme, UsageKind.Tts, snap);
        Assert.False(decision.Allowed);
        Assert.Equal("tts_chars_per_month", decision.Limit);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero) - _time.GetUtcNow(), decision.RetryAfter);
    }

    [Fact]
    public void Check_RequestedAmountWouldExceed_Refused()
    {
        var tracker = new QuotaTracker(_time);
        var snap = Snapshot(new TenantQuotas { TtsCharsPerDay = 1000 }, new UsageTotals("2026-11-22", "2026-11", 0, 0, 700, 700));
        Assert.True(tracker.Check(Acme, UsageKind.Tts, snap, requested: 300).Allowed);
        Assert.False(tracker.Check(Acme, UsageKind.Tts, snap, requested: 301).Allowed);
    }

    [Fact]
    public void Check_SnapshotFromYesterday_DailyUsageStartsAtZero()
    {
        var tracker = new QuotaTracker(_time);
        var snap = Snapshot(new TenantQuotas { AudioSecondsPerDay = 60 }, new UsageTotals("2026-11-21", "2026-11", 60, 60, 0, 0));
        Assert.True(tracker.Check(Acme, UsageKind.Stt, snap).Allowed);
    }

    [Fact]
    public void MarkDelivered_ThenNewerSnapshot_LocalEntryNoLongerDoubleCounted()
    {
        var tracker = new QuotaTracker(_time);
        var quotas = new TenantQuotas { AudioSecondsPerDay = 100 };
        tracker.RecordPending(TestData.Usage("p1", "acme", UsageKind.Stt, 60, at: _time.GetUtcNow()));
        Assert.True(tracker.Check(Acme, UsageKind.Stt, Snapshot(quotas), requested: 40).Allowed);
        Assert.False(tracker.Check(Acme, UsageKind.Stt, Snapshot(quotas), requested: 41).Allowed);
        tracker.MarkDelivered(["p1"]);
        _time.Advance(QuotaTracker.DeliveryMargin + TimeSpan.FromSeconds(1));
        // The new snapshot includes the delivered 60 s: counted once, not twice.
        var fresh = Snapshot(quotas, new UsageTotals("2026-11-22", "2026-11", 60, 60, 0, 0));
        Assert.True(tracker.Check(Acme, UsageKind.Stt, fresh, requested: 40).Allowed);
        Assert.Equal(0, tracker.PendingCount);
    }

    [Fact]
    public void Check_NoQuotas_Allowed() => Assert.True(new QuotaTracker(_time).Check(Acme, UsageKind.Stt, Snapshot(TenantQuotas.Unlimited)).Allowed);
}
