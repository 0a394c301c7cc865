namespace Vaani.Workers.Supervision;

/// <summary>Where a supervised worker is in its life cycle.</summary>
public enum WorkerState
{
    /// <summary>The process was launched; waiting for its ready line and Hello.</summary>
    Starting,
    /// <summary>Connected and answering: sessions may be placed on it.</summary>
    Serving,
    /// <summary>The process exited, failed to start or stopped answering (and was killed).</summary>
    Dead,
    /// <summary>Waiting out the restart delay (<see cref="SupervisedWorker.RestartDelay"/>).</summary>
    Backoff,
    /// <summary>The supervisor was disposed; the process is gone.</summary>
    Stopped,
}
