using System.Diagnostics;
using Vaani.Workers.Client;
using Vaani.Workers.Hosting;

namespace Vaani.Workers.Supervision;

/// <summary>
/// Keeps <see cref="WorkerSupervisorOptions.WorkerCount"/> worker processes of one pool running:
/// launches each, waits for its ready line and Hello, and when one dies (exit, crash, or a
/// connection lost to a stall, in which case it is killed) restarts it after an exponential
/// backoff with jitter. Children are killed on dispose, and each child also watches its parent
/// (pid and a stdin pipe, see <see cref="WorkerOptions.ParentPid"/>) so none outlives a crashed supervisor.
/// </summary>
public sealed class WorkerSupervisor : IAsyncDisposable
{
    private readonly WorkerLaunchSpec _launch;
    private readonly WorkerSupervisorOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;

    public WorkerSupervisor(WorkerLaunchSpec launch, WorkerSupervisorOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.WorkerCount, 1);
        _launch = launch;
        _options = options;
        _time = options.TimeProvider ?? TimeProvider.System;
        _random = options.Random ?? Random.Shared;
        Workers = Enumerable.Range(0, options.WorkerCount)
            .Select(i => new SupervisedWorker(i, Path.Combine(options.SocketDirectory, $"{options.Pool}-{i}.sock")))
            .ToList();
    }

    /// <summary>The pool whose workers this supervises.</summary>
    public string Pool => _options.Pool;

    /// <summary>The worker slots, one per process.</summary>
    public IReadOnlyList<SupervisedWorker> Workers { get; }

    /// <summary>Raised on every state change, from the supervising task (handlers must not block).</summary>
    public event EventHandler<WorkerStateChangedEventArgs>? StateChanged;

    /// <summary>Raised when a worker dies, before its backoff starts.</summary>
    public event EventHandler<WorkerDiedEventArgs>? WorkerDied;

    /// <summary>Connections of the workers currently Serving.</summary>
    public IReadOnlyList<WorkerConnection> ServingConnections =>
        Workers.Where(w => w.State == WorkerState.Serving).Select(w => w.Connection).OfType<WorkerConnection>().Where(c => c.IsAlive).ToList();

    /// <summary>Launches the workers; returns at once (see <see cref="WaitUntilAsync"/>).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException("the supervisor was already started");
        Directory.CreateDirectory(_options.SocketDirectory);
        foreach (var worker in Workers)
            _loops.Add(Task.Run(() => SuperviseAsync(worker, _stop.Token)));
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the worker slots (checked on every state change).</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<SupervisedWorker>, bool> condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(Workers))
                    return;
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until every worker is Serving.</summary>
    public Task WaitUntilServingAsync(CancellationToken cancellationToken) =>
        WaitUntilAsync(ws => ws.All(w => w.State == WorkerState.Serving), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
        foreach (var worker in Workers)
        {
            SetState(worker, WorkerState.Stopped);
            TryDelete(worker.SocketPath);
        }
        _stop.Dispose();
    }

    private async Task SuperviseAsync(SupervisedWorker worker, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Process? process = null;
            StderrTail? stderr = null;
            WorkerConnection? connection = null;
            long servingSince = 0;
            string reason;
            SetState(worker, WorkerState.Starting);
            try
            {
                TryDelete(worker.SocketPath);
                process = Launch(worker.SocketPath);
                worker.ProcessId = process.Id;
                stderr = new StderrTail(process);
                await WaitForReadyAsync(process, worker.SocketPath, stop).ConfigureAwait(false);
                connection = await WorkerConnection.ConnectAsync(worker.SocketPath, _options.Connection, stop).ConfigureAwait(false);
                if (connection.Hello.Pool != _options.Pool)
                    throw new InvalidOperationException($"the worker serves pool '{connection.Hello.Pool}', not '{_options.Pool}'");
                worker.Connection = connection;
                servingSince = _time.GetTimestamp();
                SetState(worker, WorkerState.Serving);
                await Task.WhenAny(process.WaitForExitAsync(stop), connection.Closed).ConfigureAwait(false);
                stop.ThrowIfCancellationRequested();
                reason = process.HasExited
                    ? $"the process exited with code {process.ExitCode}"
                    : connection.LostReason?.Message ?? "the connection closed";
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                reason = "stopped";
            }
            catch (Exception ex)
            {
                reason = ex.Message;
            }
            finally
            {
                worker.Connection = null;
                if (connection is not null)
                {
                    // Sessions must see worker_lost (retryable elsewhere), not a deliberate close,
                    // unless the supervisor itself is shutting down.
                    if (!stop.IsCancellationRequested)
                        connection.Abort(process is { HasExited: true } ? $"the process exited with code {process.ExitCode}" : "the supervisor declared it dead");
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
                if (process is not null)
                    await KillAsync(process).ConfigureAwait(false);
            }
            if (stop.IsCancellationRequested)
            {
                process?.Dispose();
                break;
            }

            var exitCode = process is { HasExited: true } ? process.ExitCode : (int?)null;
            if (stderr is not null)
                await stderr.Completion.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            process?.Dispose();
            SetState(worker, WorkerState.Dead);
            WorkerDied?.Invoke(this, new WorkerDiedEventArgs(worker, worker.ProcessId, exitCode, reason, stderr?.Snapshot() ?? []));

            var stable = servingSince != 0 && _time.GetElapsedTime(servingSince) >= _options.StableAfter;
            worker.ConsecutiveFailures = stable ? 1 : worker.ConsecutiveFailures + 1;
            double jitter;
            lock (_random)
                jitter = _random.NextDouble();
            worker.RestartDelay = _options.Backoff.DelayFor(worker.ConsecutiveFailures, jitter);
            SetState(worker, WorkerState.Backoff);
            try
            {
                await Task.Delay(worker.RestartDelay.Value, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            worker.Restarts++;
        }
    }

    private Process Launch(string socketPath)
    {
        var info = new ProcessStartInfo(_launch.FileName)
        {
            UseShellExecute = false,
            // stdin stays an open pipe that we never write: the kernel closes it when this process dies
            // for any reason, and the worker exits on end of file (no PR_SET_PDEATHSIG in .NET).
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _launch.WorkingDirectory ?? "",
        };
        foreach (var argument in _launch.ExpandArguments(_options.Pool, socketPath))
            info.ArgumentList.Add(argument);
        if (_launch.Environment is { } environment)
        {
            foreach (var (key, value) in environment)
                info.Environment[key] = value;
        }
        info.Environment[WorkerProcess.ParentPidVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment[WorkerProcess.WatchStdinVariable] = "1";
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {_launch.FileName}");
    }

    private async Task WaitForReadyAsync(Process process, string socketPath, CancellationToken stop)
    {
        using var deadline = new CancellationTokenSource(_options.ReadyTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, deadline.Token);
        var expected = $"{WorkerHost.ReadyPrefix} {socketPath}";
        try
        {
            while (await process.StandardOutput.ReadLineAsync(linked.Token).ConfigureAwait(false) is { } line)
            {
                if (line == expected)
                {
                    // Keep draining stdout so the worker never blocks on a full pipe.
                    _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None)
                        .ContinueWith(_ => { }, TaskScheduler.Default);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            throw new TimeoutException($"the worker printed no ready line within {_options.ReadyTimeout.TotalSeconds:0.###} s");
        }
        await process.WaitForExitAsync(stop).ConfigureAwait(false);
        throw new InvalidOperationException($"the worker exited with code {process.ExitCode} before it was ready");
    }

    private static async Task KillAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or TimeoutException)
        {
        }
    }

    private void SetState(SupervisedWorker worker, WorkerState state)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (worker.State == state && state != WorkerState.Starting)
                return;
            worker.State = state;
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
        StateChanged?.Invoke(this, new WorkerStateChangedEventArgs(worker, state));
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
