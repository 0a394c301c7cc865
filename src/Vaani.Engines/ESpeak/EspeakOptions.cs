namespace Vaani.Engines.ESpeak;

/// <summary>Settings of the eSpeak NG engine. Defaults suit a worker process serving many short requests.</summary>
public sealed record EspeakOptions
{
    /// <summary>
    /// Audio produced per native callback: the granularity of streaming and of cancellation.
    /// Process-wide: the library is initialised once, by the first engine created in the process.
    /// </summary>
    public TimeSpan BufferLength { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Requests allowed to wait behind the one being synthesised. The library synthesises one
    /// request at a time per process; beyond this, requests fail fast with <c>engine_busy</c>.
    /// </summary>
    public int MaxQueueLength { get; init; } = 8;

    /// <summary>Longest accepted request text (UTF-16 code units, SSML markup included).</summary>
    public int MaxTextLength { get; init; } = 100_000;

    /// <summary>
    /// Events buffered between synthesis and a slow consumer. When full, synthesis waits for the
    /// consumer (the engine is held meanwhile), so keep consumers reading or cancel them.
    /// </summary>
    public int OutputBufferEvents { get; init; } = 64;

    /// <summary>Language used when a request names neither a voice nor a language.</summary>
    public string DefaultLanguage { get; init; } = "en";

    /// <summary>
    /// Reject SSML that is not well-formed XML with a <c>speak</c> root (<c>invalid_ssml</c>) instead
    /// of passing it to eSpeak, which would read malformed markup leniently (often aloud).
    /// </summary>
    public bool ValidateSsml { get; init; } = true;

    /// <summary>End each word at its last sound rather than at the next word's start, so pauses belong to no word.</summary>
    public bool TrimWordSilence { get; init; } = true;
}
