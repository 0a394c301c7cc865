namespace Vaani.Control.Domain;

/// <summary>Which kind of work a usage event or a session is.</summary>
public enum UsageKind
{
    Stt,
    Tts,
}

/// <summary>
/// One metered unit of work. <see cref="EventId"/> is unique and makes delivery idempotent: the
/// same event delivered twice is counted once.
/// </summary>
public sealed record UsageEvent(
    string EventId,
    TenantId Tenant,
    ApiKeyId? KeyId,
    UsageKind Kind,
    double AudioSeconds,
    long Characters,
    string Model,
    DateTimeOffset OccurredAt)
{
    /// <summary>Throws <see cref="ControlException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(EventId) || EventId.Length > 128)
            throw new ControlException(ControlErrorCode.InvalidRequest, "event_id is required and must be at most 128 characters.");
        if (AudioSeconds < 0 || !double.IsFinite(AudioSeconds))
            throw new ControlException(ControlErrorCode.InvalidRequest, $"audio_seconds of event {EventId} must be a finite number >= 0.");
        if (Characters < 0)
            throw new ControlException(ControlErrorCode.InvalidRequest, $"characters of event {EventId} must be >= 0.");
        if (Model is null || Model.Length > 200)
            throw new ControlException(ControlErrorCode.InvalidRequest, $"model of event {EventId} is required and must be at most 200 characters.");
    }
}

/// <summary>Granularity of a usage query.</summary>
public enum UsagePeriod
{
    Day,
    Month,
}

/// <summary>Aggregated usage of one tenant in one period bucket (e.g. "2026-11-22" or "2026-11").</summary>
public sealed record UsageAggregate(string Bucket, UsageKind Kind, double AudioSeconds, long Characters, long Events);

/// <summary>A tenant's usage totals for the current UTC day and month, as of a snapshot.</summary>
public sealed record UsageTotals(string Day, string Month, double AudioSecondsDay, double AudioSecondsMonth, long TtsCharsDay, long TtsCharsMonth)
{
    public static string DayOf(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public static string MonthOf(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
}
