namespace Vaani.Engines;

/// <summary>A streaming speech-to-text engine. Implementations are thread-safe.</summary>
public interface ISpeechToTextEngine
{
    EngineCapabilities Capabilities { get; }

    /// <summary>
    /// Starts a recognition session. The session consumes audio in
    /// <see cref="EngineCapabilities.NativeFormat"/>; callers convert first.
    /// </summary>
    ValueTask<ISpeechToTextSession> StartSessionAsync(SttSessionOptions options, CancellationToken cancellationToken);
}
