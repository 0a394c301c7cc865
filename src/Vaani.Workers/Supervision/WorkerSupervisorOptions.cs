using Vaani.Workers.Client;

namespace Vaani.Workers.Supervision;

/// <summary>How a <see cref="WorkerSupervisor"/> runs one pool's workers.</summary>
public sealed record WorkerSupervisorOptions
{
    /// <summary>The engine pool the workers host (passed as <c>{pool}</c>; checked against each Hello).</summary>
    public required string Pool { get; init; }

    /// <summary>Directory for the workers' sockets (<c>{pool}-{index}.sock</c>); keep the path short (Unix socket paths are limited to ~107 bytes).</summary>
    public required string SocketDirectory { get; init; }

    /// <summary>Worker processes to keep running.</summary>
    public int WorkerCount { get; init; } = 1;

    public BackoffPolicy Backoff { get; init; } = new();

    /// <summary>A worker that served at least this long before dying restarts with the initial delay again.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The ready line must appear within this after launch, or the worker is killed and counted as failed.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Deadlines of the supervisor's connections to its workers.</summary>
    public WorkerConnectionOptions Connection { get; init; } = new();

    /// <summary>Clock for backoff, stability and ready deadlines; null = system time. Tests pass a fake.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Source of jitter; null = <see cref="Random.Shared"/>.</summary>
    public Random? Random { get; init; }
}
