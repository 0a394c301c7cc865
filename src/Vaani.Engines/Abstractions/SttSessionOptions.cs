namespace Vaani.Engines;

/// <summary>Per-session recognition options.</summary>
public sealed record SttSessionOptions
{
    /// <summary>Language code, e.g. <c>en-US</c>.</summary>
    public string Language { get; init; } = "en-US";

    /// <summary>Emit <see cref="SttPartial"/> events while speech is in progress.</summary>
    public bool InterimResults { get; init; } = true;

    /// <summary>
    /// Silence after speech that ends an utterance and triggers a final result.
    /// Null disables endpointing: finals then come only from finalize/complete.
    /// </summary>
    public TimeSpan? Endpointing { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Minimum interval between two partial results.</summary>
    public TimeSpan InterimInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}
