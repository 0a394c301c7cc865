namespace Vaani.Speech.Streaming;

/// <summary>
/// Usage and latency breakdown of one streaming session, reported when it closes.
/// Latencies are wall-clock durations measured at the gateway.
/// </summary>
public sealed record SttStreamStats
{
    /// <summary>Seconds of audio received from the client.</summary>
    public double AudioSeconds { get; init; }
    /// <summary>Time from session start to the engine session being placed on a worker.</summary>
    public TimeSpan AdmissionWait { get; init; }
    /// <summary>Total time spent in engine calls (sending audio, finalising).</summary>
    public TimeSpan EngineTime { get; init; }
    /// <summary>From the first audio byte to the first partial result; null when none was produced.</summary>
    public TimeSpan? TimeToFirstPartial { get; init; }
    /// <summary>Median delay from receiving the audio that ends an utterance to delivering its final.</summary>
    public TimeSpan? FinalizationLatencyP50 { get; init; }
    /// <summary>Worst delay from receiving the audio that ends an utterance to delivering its final.</summary>
    public TimeSpan? FinalizationLatencyMax { get; init; }
    /// <summary>How many times the session was re-placed on another worker and replayed.</summary>
    public int Replacements { get; init; }
    /// <summary>Final results delivered.</summary>
    public int Finals { get; init; }
}
