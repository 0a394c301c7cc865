namespace Vaani.Workers.Client;

/// <summary>Deadlines and bounds of a gateway→worker connection. Defaults suit a local worker.</summary>
public sealed record WorkerConnectionOptions
{
    /// <summary>Connecting plus receiving the worker's Hello must finish within this.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A StartStt must be acknowledged (and a TTS request must yield its first frame) within this.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the gateway pings the worker and checks sessions for progress.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A worker from which no frame at all (not even a Pong) arrived for this long is declared lost:
    /// every session on the connection faults with <c>worker_lost</c> so callers can re-place and replay.
    /// </summary>
    public TimeSpan LivenessTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A session that has work outstanding at the worker (audio not yet credited back, a Complete not
    /// yet closed, a TTS read waiting) and receives nothing for this long faults with <c>worker_lost</c>,
    /// even if the worker still answers pings (an engine stuck on one session).
    /// </summary>
    public TimeSpan ProgressTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Per-request TTS audio window, in bytes, granted to the worker.</summary>
    public int TtsWindow { get; init; } = 256 * 1024;

    /// <summary>STT events buffered per session for its reader; a reader that falls further behind faults the session.</summary>
    public int MaxPendingEvents { get; init; } = 1024;

    /// <summary>Frames the connection's writer may queue before senders wait.</summary>
    public int WriteQueueFrames { get; init; } = 256;

    /// <summary>
    /// The event loop the connection's reads wait on; the frames they carry are dispatched on the
    /// loop's thread, beside the client sockets it serves, and with the system clock
    /// (<see cref="TimeProvider"/> null) its heartbeat runs there too, as a loop timer. Null: the
    /// connection reads on a thread of its own, blocking in poll(2).
    /// </summary>
    public Net.EventLoop? Loop { get; init; }

    /// <summary>Clock for deadlines and pings; null = <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; init; }
}
