using Vaani.Workers.Client;

namespace Vaani.Workers.Supervision;

/// <summary>One worker slot of a <see cref="WorkerSupervisor"/>: its current process, state and connection.</summary>
public sealed class SupervisedWorker
{
    private volatile WorkerConnection? _connection;

    internal SupervisedWorker(int index, string socketPath)
    {
        Index = index;
        SocketPath = socketPath;
    }

    public int Index { get; }
    public string SocketPath { get; }
    public WorkerState State { get; internal set; } = WorkerState.Starting;
    /// <summary>Pid of the current (or last) process.</summary>
    public int? ProcessId { get; internal set; }
    /// <summary>The connection while <see cref="State"/> is Serving; null otherwise.</summary>
    public WorkerConnection? Connection { get => _connection; internal set => _connection = value; }
    /// <summary>How many times the slot was restarted.</summary>
    public int Restarts { get; internal set; }
    /// <summary>Deaths in a row without a stable period in between; drives the backoff.</summary>
    public int ConsecutiveFailures { get; internal set; }
    /// <summary>The delay of the current or last backoff.</summary>
    public TimeSpan? RestartDelay { get; internal set; }
}

/// <summary>A worker slot changed state.</summary>
public sealed class WorkerStateChangedEventArgs(SupervisedWorker worker, WorkerState state) : EventArgs
{
    public SupervisedWorker Worker { get; } = worker;
    public WorkerState State { get; } = state;
}

/// <summary>A worker process died or was declared dead.</summary>
public sealed class WorkerDiedEventArgs(SupervisedWorker worker, int? processId, int? exitCode, string reason, IReadOnlyList<string> stderrTail) : EventArgs
{
    public SupervisedWorker Worker { get; } = worker;
    public int? ProcessId { get; } = processId;
    /// <summary>Exit code if the process exited by itself; null when it was killed for not answering or never started.</summary>
    public int? ExitCode { get; } = exitCode;
    public string Reason { get; } = reason;
    /// <summary>The last lines the worker wrote to stderr (bounded).</summary>
    public IReadOnlyList<string> StderrTail { get; } = stderrTail;
}
