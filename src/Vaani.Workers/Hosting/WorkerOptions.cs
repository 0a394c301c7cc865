using Vaani.Workers.Catalog;

namespace Vaani.Workers.Hosting;

/// <summary>How a worker process runs: which pool it hosts and where it listens.</summary>
public sealed record WorkerOptions
{
    /// <summary>Engine pool to host, e.g. <c>stt-en</c>; must be registered in <see cref="Catalog"/>.</summary>
    public required string Pool { get; init; }

    /// <summary>Unix domain socket path the worker listens on (a stale file there is replaced).</summary>
    public required string SocketPath { get; init; }

    /// <summary>Engine factories; null = <see cref="EngineCatalog.CreateDefault"/>.</summary>
    public EngineCatalog? Catalog { get; init; }

    /// <summary>Sessions plus requests run at once; null = the engines' <c>MaxConcurrency</c>.</summary>
    public int? Capacity { get; init; }

    /// <summary>Per-session STT audio window in bytes (announced in Hello). Default 256 KiB ≈ 8 s of 16 kHz linear16.</summary>
    public int AudioWindow { get; init; } = 256 * 1024;

    /// <summary>Frames a connection's writer may queue before senders wait.</summary>
    public int WriteQueueFrames { get; init; } = 256;

    /// <summary>
    /// The supervising process's pid. When set, the worker exits as soon as its parent is no longer
    /// that process (the parent died and the worker was re-parented), so a crashed gateway leaves
    /// no orphan workers. .NET has no PR_SET_PDEATHSIG, so this is polled every <see cref="ParentPollInterval"/>.
    /// </summary>
    public int? ParentPid { get; init; }

    /// <summary>How often <see cref="ParentPid"/> is checked.</summary>
    public TimeSpan ParentPollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Exit when standard input reaches end of file. The supervisor keeps a pipe to each worker's
    /// stdin open; the kernel closes it when the supervisor dies for any reason, so this fires at once.
    /// </summary>
    public bool ExitOnStdinClose { get; init; }

    /// <summary>Where the ready line (<see cref="WorkerHost.ReadyPrefix"/> + socket path) is written once listening.</summary>
    public TextWriter? ReadyOutput { get; init; }
}
