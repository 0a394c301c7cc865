using Vaani.Audio;

namespace Vaani.Engines;

/// <summary>What an engine can do, declared up front so routing and APIs never probe it.</summary>
public sealed record EngineCapabilities
{
    /// <summary>Stable engine name, e.g. <c>pocketsphinx</c>, <c>espeak-ng</c>.</summary>
    public required string Name { get; init; }
    /// <summary>BCP-47-ish language codes the engine serves (e.g. <c>en-US</c>, <c>hi</c>).</summary>
    public required IReadOnlyList<string> Languages { get; init; }
    /// <summary>Voices (TTS engines only).</summary>
    public IReadOnlyList<VoiceInfo> Voices { get; init; } = [];
    /// <summary>The format the engine consumes (STT) or produces (TTS) natively.</summary>
    public required AudioFormat NativeFormat { get; init; }
    /// <summary>True when results (STT) or audio (TTS) are produced incrementally.</summary>
    public bool Streaming { get; init; }
    /// <summary>True when the engine reports per-word start/end times.</summary>
    public bool WordTimings { get; init; }
    /// <summary>
    /// STT only: the model is wideband (16 kHz) and scores 8 kHz input better when it is folded
    /// (upsampled by zero insertion, mirroring 0–4 kHz into 4–8 kHz) than when it is properly
    /// resampled. Callers converting 8 kHz input to <see cref="NativeFormat"/> then fold instead
    /// of resampling; other input rates are resampled as usual.
    /// </summary>
    public bool FoldNarrowbandInput { get; init; }
    /// <summary>How many sessions (STT) or synthesis requests (TTS) can run at once in one process.</summary>
    public int MaxConcurrency { get; init; } = 1;
}

/// <summary>A TTS voice.</summary>
/// <param name="Id">Voice id to pass back in requests (e.g. <c>hi</c>, <c>en-us</c>).</param>
/// <param name="Name">Human-readable name.</param>
/// <param name="Language">Primary language code.</param>
/// <param name="Gender">male, female or unknown.</param>
public sealed record VoiceInfo(string Id, string Name, string Language, string Gender);
