namespace Vaani.Control.Domain;

/// <summary>
/// Per-tenant limits. A null field means "unlimited". Audio seconds count speech-to-text input
/// audio; characters count text-to-speech input text.
/// </summary>
public sealed record TenantQuotas
{
    public int? MaxConcurrentStt { get; init; }
    public int? MaxConcurrentTts { get; init; }
    public double? AudioSecondsPerDay { get; init; }
    public double? AudioSecondsPerMonth { get; init; }
    public long? TtsCharsPerDay { get; init; }
    public long? TtsCharsPerMonth { get; init; }
    public double? RequestsPerSecondPerKey { get; init; }

    /// <summary>No limits at all (the default for a tenant without quotas).</summary>
    public static TenantQuotas Unlimited { get; } = new();

    /// <summary>Throws <see cref="ControlException"/> listing every negative or zero limit at once.</summary>
    public void Validate()
    {
        var errors = new List<string>();
        if (MaxConcurrentStt is < 0) errors.Add("max_concurrent_stt must be >= 0");
        if (MaxConcurrentTts is < 0) errors.Add("max_concurrent_tts must be >= 0");
        if (AudioSecondsPerDay is < 0 || AudioSecondsPerDay is double d && !double.IsFinite(d)) errors.Add("audio_seconds_per_day must be a finite number >= 0");
        if (AudioSecondsPerMonth is < 0 || AudioSecondsPerMonth is double m && !double.IsFinite(m)) errors.Add("audio_seconds_per_month must be a finite number >= 0");
        if (TtsCharsPerDay is < 0) errors.Add("tts_chars_per_day must be >= 0");
        if (TtsCharsPerMonth is < 0) errors.Add("tts_chars_per_month must be >= 0");
        if (RequestsPerSecondPerKey is <= 0 || RequestsPerSecondPerKey is > 100_000) errors.Add("requests_per_second_per_key must be in (0, 100000]");
        if (errors.Count > 0)
        {
            throw new ControlException(ControlErrorCode.InvalidRequest, "Invalid quotas: " + string.Join("; ", errors) + ".");
        }
    }
}
