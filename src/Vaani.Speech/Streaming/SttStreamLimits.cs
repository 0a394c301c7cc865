namespace Vaani.Speech.Streaming;

/// <summary>Bounds of one streaming recognition session.</summary>
public sealed record SttStreamLimits
{
    /// <summary>
    /// Longest audio kept for replay since the last final result. When reached, the session forces
    /// a final (so the buffer can be trimmed) instead of growing: memory per session stays bounded.
    /// </summary>
    public TimeSpan MaxReplay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Events buffered between the engine and the protocol adapter (held only while queued). A
    /// session whose adapter falls further behind fails its engine session with <c>event_overflow</c>.
    /// </summary>
    public int EventBufferCapacity { get; init; } = 1024;

    /// <summary>Audio commands buffered between the protocol adapter and the engine; a full queue backpressures the client.</summary>
    public int CommandBufferCapacity { get; init; } = 32;

    /// <summary>Deadline for placing (or re-placing) the session on a worker, including waits for a restart.</summary>
    public TimeSpan PlacementTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How many times one session may be re-placed after worker loss before it fails.</summary>
    public int MaxReplacements { get; init; } = 5;
}
