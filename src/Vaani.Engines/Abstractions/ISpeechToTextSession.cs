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

    /// <summary>
    /// Has the session hand every event to <paramref name="sink"/> on the thread that produces it
    /// (a remote session: its connection's reader), instead of queueing it for
    /// <see cref="ReadEventsAsync"/>: no queue and no hand-over between threads per event. Call it
    /// before reading any event and at most once; on true, do not read <see cref="ReadEventsAsync"/>.
    /// Returns false, changing nothing, when the session cannot deliver that way (also once it has
    /// produced an event or ended); the caller then reads <see cref="ReadEventsAsync"/>.
    /// The default cannot.
    /// </summary>
    bool TrySetEventSink(ISttEventSink sink) => false;
}
