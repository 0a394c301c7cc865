namespace Vaani.Audio.Containers;

/// <summary>Bounds on one decode of uploaded audio; every one is enforced, none is advisory.</summary>
public sealed record DecodeLimits
{
    /// <summary>Largest accepted input, in bytes.</summary>
    public long MaxInputBytes { get; init; } = 100L * 1024 * 1024;

    /// <summary>Longest accepted decoded audio; longer input is refused, never buffered whole.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Wall-clock budget for the whole decode, after which the decoder process is killed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    internal void Validate()
    {
        if (MaxInputBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxInputBytes), MaxInputBytes, "must be positive");
        if (MaxDuration <= TimeSpan.Zero || MaxDuration > TimeSpan.FromDays(1))
            throw new ArgumentOutOfRangeException(nameof(MaxDuration), MaxDuration, "must be positive and at most one day");
        if (Timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "must be positive");
    }
}
