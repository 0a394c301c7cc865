using Vaani.Control.Domain;
using Vaani.Control.Snapshots;

namespace Vaani.Control.Admission;

/// <summary>Outcome of a quota check; when refused, names the limit and when it resets.</summary>
public sealed record QuotaDecision(bool Allowed, string? Limit, double LimitValue, double Used, TimeSpan? RetryAfter)
{
    public static QuotaDecision Allow { get; } = new(true, null, 0, 0, null);

    /// <summary>A message for the client, e.g. "audio_seconds_per_day exhausted: 3600 of 3600 used; resets in 5h12m".</summary>
    public string Describe() => Allowed ? "ok" : $"{Limit} exhausted: {Used:0.##} of {LimitValue:0.##} used; resets in {RetryAfter:hh\\:mm\\:ss}.";
}

/// <summary>
/// Daily and monthly quotas (STT audio seconds, TTS characters). Used amount = the snapshot's
/// recorded totals for the current UTC day/month + usage recorded locally that the snapshot may
/// not include yet (still in the spool, or delivered after the snapshot was built). Exhausted ⇒
/// refusal naming the limit, with Retry-After until the next UTC day or month.
/// </summary>
public sealed class QuotaTracker
{
    /// <summary>Local entries kept at most; the oldest delivered ones go first, undelivered ones are never dropped early.</summary>
    public const int MaxPending = 200_000;

    /// <summary>Delivered usage still counted locally until a snapshot built this long after delivery arrives (absorbs clock skew).</summary>
    public static readonly TimeSpan DeliveryMargin = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);

    public QuotaTracker(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Usage entries counted locally.</summary>
    public int PendingCount
    {
        get { lock (_lock) return _pending.Count; }
    }

    /// <summary>Counts a usage event recorded on this node (call after it is spooled).</summary>
    public void RecordPending(UsageEvent usage)
    {
        lock (_lock)
        {
            if (_pending.Count >= MaxPending) EvictOldestDelivered();
            _pending[usage.EventId] = new Pending(usage, null);
        }
    }

    /// <summary>Marks events as delivered to the control store (they will appear in later snapshots).</summary>
    public void MarkDelivered(IEnumerable<string> eventIds)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            foreach (var id in eventIds)
            {
                if (_pending.TryGetValue(id, out var p)) _pending[id] = p with { DeliveredAt = now };
            }
        }
    }

    /// <summary>
    /// Checks whether <paramref name="tenant"/> may start <paramref name="kind"/> work needing
    /// <paramref name="requested"/> more units (audio seconds for STT, characters for TTS; 0 = just "is anything left?").
    /// </summary>
    public QuotaDecision Check(TenantId tenant, UsageKind kind, ControlSnapshot snapshot, double requested = 0)
    {
        var quotas = snapshot.QuotasFor(tenant);
        var (dayLimit, monthLimit, dayName, monthName) = kind == UsageKind.Stt
            ? (quotas.AudioSecondsPerDay, quotas.AudioSecondsPerMonth, "audio_seconds_per_day", "audio_seconds_per_month")
            : ((double?)quotas.TtsCharsPerDay, (double?)quotas.TtsCharsPerMonth, "tts_chars_per_day", "tts_chars_per_month");
        if (dayLimit is null && monthLimit is null) return QuotaDecision.Allow;

        var now = _time.GetUtcNow();
        var day = UsageTotals.DayOf(now);
        var month = UsageTotals.MonthOf(now);
        double usedDay = 0, usedMonth = 0;
        if (snapshot.Usage.TryGetValue(tenant, out var totals) && totals.Month == month)
        {
            usedMonth = kind == UsageKind.Stt ? totals.AudioSecondsMonth : totals.TtsCharsMonth;
            if (totals.Day == day) usedDay = kind == UsageKind.Stt ? totals.AudioSecondsDay : totals.TtsCharsDay;
        }

        var (localDay, localMonth) = LocalUsage(tenant, kind, day, month, snapshot.BuiltAt);
        usedDay += localDay;
        usedMonth += localMonth;

        if (dayLimit is { } d && (usedDay >= d || usedDay + requested > d))
            return new QuotaDecision(false, dayName, d, usedDay, NextUtcDay(now) - now);
        if (monthLimit is { } m && (usedMonth >= m || usedMonth + requested > m))
            return new QuotaDecision(false, monthName, m, usedMonth, NextUtcMonth(now) - now);
        return QuotaDecision.Allow;
    }

    private (double Day, double Month) LocalUsage(TenantId tenant, UsageKind kind, string day, string month, DateTimeOffset snapshotBuiltAt)
    {
        double sumDay = 0, sumMonth = 0;
        List<string>? obsolete = null;
        lock (_lock)
        {
            foreach (var (id, p) in _pending)
            {
                // Delivered well before the snapshot was built: the snapshot's totals include it.
                if (p.DeliveredAt is { } delivered && delivered + DeliveryMargin < snapshotBuiltAt)
                {
                    (obsolete ??= []).Add(id);
                    continue;
                }

                var e = p.Event;
                if (e.Tenant != tenant || e.Kind != kind || UsageTotals.MonthOf(e.OccurredAt) != month) continue;
                var amount = kind == UsageKind.Stt ? e.AudioSeconds : e.Characters;
                sumMonth += amount;
                if (UsageTotals.DayOf(e.OccurredAt) == day) sumDay += amount;
            }

            if (obsolete is not null)
            {
                foreach (var id in obsolete) _pending.Remove(id);
            }
        }

        return (sumDay, sumMonth);
    }

    private void EvictOldestDelivered()
    {
        var oldest = _pending.Where(p => p.Value.DeliveredAt is not null).OrderBy(p => p.Value.DeliveredAt).Take(Math.Max(1, MaxPending / 10)).Select(p => p.Key).ToList();
        foreach (var id in oldest) _pending.Remove(id);
    }

    /// <summary>Start of the next UTC day.</summary>
    public static DateTimeOffset NextUtcDay(DateTimeOffset now) => new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);

    /// <summary>Start of the next UTC month.</summary>
    public static DateTimeOffset NextUtcMonth(DateTimeOffset now) => new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);

    private sealed record Pending(UsageEvent Event, DateTimeOffset? DeliveredAt);
}
