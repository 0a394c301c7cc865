namespace Vaani.Engines;

/// <summary>
/// Takes a recognition session's events as they are produced, on the producer's thread (see
/// <see cref="ISpeechToTextSession.TrySetEventSink"/>). Both methods must return quickly and never
/// block: a remote session calls them from its worker connection's reader, which serves every other
/// session on that connection too.
/// </summary>
public interface ISttEventSink
{
    /// <summary>
    /// One event, in order. Returns false when the sink is full and cannot take it: the session then
    /// fails with <c>event_overflow</c>, as a reader of <see cref="ISpeechToTextSession.ReadEventsAsync"/>
    /// that fell too far behind would make it.
    /// </summary>
    bool OnEvent(SttEvent e);

    /// <summary>
    /// The event stream ended: normally (<paramref name="error"/> null, after <c>CompleteAsync</c>
    /// was honoured or the session was disposed) or with the session's failure. Called once. An
    /// event being delivered on another thread at the same moment may still arrive after it: ignore it.
    /// </summary>
    void OnCompleted(Exception? error);
}
