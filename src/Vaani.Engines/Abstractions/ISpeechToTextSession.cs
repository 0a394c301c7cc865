namespace Vaani.Engines;

/// <summary>
/// One recognition stream. Audio goes in with <see cref="SendAudioAsync"/>; events come out of
/// <see cref="ReadEventsAsync"/> in order. Times in events are relative to the first byte of audio
/// sent to this session. Not thread-safe for concurrent senders; one reader.
/// </summary>
public interface ISpeechToTextSession : IAsyncDisposable
{
    /// <summary>
    /// Feeds audio in the engine's native format. Any length, including odd chunks. The memory is
    /// valid only during the call: implementations copy what they keep.
    /// </summary>
    ValueTask SendAudioAsync(ReadOnlyMemory<byte> audio, CancellationToken cancellationToken);

    /// <summary>
    /// Feeds audio at once, without waiting, when the session can take it that way (e.g. a remote
    /// session with flow-control credit and an idle connection). Returns false, having taken
    /// nothing, when it cannot; the caller then uses <see cref="SendAudioAsync"/>. A session that
    /// has failed either returns false or throws what <see cref="SendAudioAsync"/> would.
    /// The default takes nothing.
    /// </summary>
    bool TrySendAudio(ReadOnlySpan<byte> audio) => false;

    /// <summary>
    /// Forces a final result for all audio sent so far (the utterance is closed even if speech
    /// has not ended). The session stays open for more audio.
    /// </summary>
    ValueTask FinalizeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Ends the input: the remaining audio is finalised, the last events are emitted and the
    /// event stream completes.
    /// </summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken);

    /// <summary>The session's events, until <see cref="CompleteAsync"/> has been honoured.</summary>
    IAsyncEnumerable<SttEvent> ReadEventsAsync(CancellationToken cancellationToken);
}
