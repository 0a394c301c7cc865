namespace Vaani.Engines;

/// <summary>A streaming text-to-speech engine. Implementations are thread-safe.</summary>
public interface ITextToSpeechEngine
{
    EngineCapabilities Capabilities { get; }

    /// <summary>
    /// Synthesises <paramref name="request"/>, yielding audio chunks in
    /// <see cref="EngineCapabilities.NativeFormat"/> as they are produced, interleaved with word
    /// marks. Cancelling the token stops synthesis promptly.
    /// </summary>
    IAsyncEnumerable<TtsEvent> SynthesizeAsync(TtsRequest request, CancellationToken cancellationToken);
}
