using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vaani.Engines;
using Vaani.Gateway.Routing;
using Vaani.Workers.Client;
using Vaani.Workers.Hosting;
using Vaani.Workers.Supervision;

namespace Vaani.Gateway.Hosting;

/// <summary>What a single-machine node runs: the gateway plus one supervised worker group per pool.</summary>
public sealed record LocalNodeOptions
{
    public required GatewayOptions Gateway { get; init; }
    /// <summary>How to start a worker process (<c>{pool}</c>/<c>{socket}</c> are substituted).</summary>
    public required WorkerLaunchSpec Launch { get; init; }
    /// <summary>Pools and their worker process counts, e.g. (stt-en, 1), (tts, 2).</summary>
    public required IReadOnlyList<(string Pool, int Workers)> Pools { get; init; }
    /// <summary>Directory for the workers' Unix sockets.</summary>
    public string SocketDirectory { get; init; } = Path.Combine(Path.GetTempPath(), $"vaani-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
    /// <summary>Longest wait for every worker to be Serving at start.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>Worker restart backoff (defaults to the supervisor's).</summary>
    public BackoffPolicy? Backoff { get; init; }
    public Action<ILoggingBuilder>? Logging { get; init; }
    /// <summary>
    /// Control state (auth, limits, quotas, usage); null runs without authentication. The node does
    /// not own it: dispose it after the node, so usage of the last sessions is spooled first.
    /// </summary>
    public Control.EdgeControl? Control { get; init; }
}

/// <summary>
/// A running single-machine node: workers started and Serving, the gateway listening.
/// <c>vaani serve</c> is this; functional tests start it on port 0.
/// </summary>
public sealed class LocalNode : IAsyncDisposable
{
    private readonly List<(string Pool, WorkerSupervisor Supervisor)> _supervisors;
    private readonly string _socketDirectory;

    private LocalNode(WebApplication app, List<(string, WorkerSupervisor)> supervisors, string socketDirectory)
    {
        App = app;
        _supervisors = supervisors;
        _socketDirectory = socketDirectory;
    }

    public WebApplication App { get; }

    /// <summary>The gateway's base URL, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseUri => new(App.Urls.First());

    /// <summary>The supervisor of <paramref name="pool"/>.</summary>
    public WorkerSupervisor Supervisor(string pool) => _supervisors.First(s => s.Pool == pool).Supervisor;

    public static async Task<LocalNode> StartAsync(LocalNodeOptions options, CancellationToken cancellationToken)
    {
        var supervisors = options.Pools.Select(p => (p.Pool, Supervisor: new WorkerSupervisor(options.Launch, new WorkerSupervisorOptions
        {
            Pool = p.Pool,
            SocketDirectory = options.SocketDirectory,
            WorkerCount = p.Workers,
            Backoff = options.Backoff ?? new BackoffPolicy(),
            // Worker events are read on the loop that serves the client sockets (GatewayApp.EventLoop).
            Connection = new WorkerConnectionOptions { Loop = GatewayApp.EventLoop(options.Gateway) },
        }))).ToList();
        // Until the gateway's own logging exists, worker deaths are logged through a factory of the
        // same configuration, disposed once the gateway's takes over.
        var startLogging = LoggerFactory.Create(b => GatewayApp.ConfigureLogging(b, options.Logging));
        var deaths = new WorkerDeathLog(startLogging.CreateLogger(WorkerDeathLog.Category));
        foreach (var s in supervisors) s.Supervisor.WorkerDied += deaths.OnWorkerDied;
        try
        {
            foreach (var s in supervisors) s.Supervisor.Start();
            using (var ready = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                ready.CancelAfter(options.ReadyTimeout);
                var serving = Task.WhenAll(supervisors.Select(s => s.Supervisor.WaitUntilServingAsync(ready.Token)));
                // A worker that exits saying the machine or its configuration must change fails the
                // start at once; restarting it until the timeout would only hide why.
                if (await Task.WhenAny(serving, deaths.ConfigurationError).ConfigureAwait(false) != serving)
                {
                    await ready.CancelAsync().ConfigureAwait(false);
                    var death = await deaths.ConfigurationError.ConfigureAwait(false);
                    throw new EngineException("workers_not_ready", $"pool '{death.Pool}' cannot start: {death.Summary}", isPermanent: false);
                }
                try { await serving.ConfigureAwait(false); }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    var last = deaths.Last is { } d ? $"; last worker exit: pool '{d.Pool}': {d.Summary}" : "";
                    throw new EngineException("workers_not_ready", $"engine workers did not start within {options.ReadyTimeout.TotalSeconds:0} s{last}; run scripts/setup.sh and check the log", isPermanent: false);
                }
            }
            var app = GatewayApp.Build(options.Gateway, BuildRouter(supervisors), options.Logging, options.Control);
            deaths.Logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(WorkerDeathLog.Category);
            startLogging.Dispose();
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            return new LocalNode(app, supervisors, options.SocketDirectory);
        }
        catch
        {
            foreach (var s in supervisors) await s.Supervisor.DisposeAsync().ConfigureAwait(false);
            startLogging.Dispose();
            throw;
        }
    }

    private static StaticEngineRouter BuildRouter(IEnumerable<(string Pool, WorkerSupervisor Supervisor)> supervisors)
    {
        var stt = new List<EnginePool<ISpeechToTextEngine>>();
        var tts = new List<EnginePool<ITextToSpeechEngine>>();
        foreach (var (pool, supervisor) in supervisors)
        {
            var hello = supervisor.ServingConnections[0].Hello;
            int capacity = hello.Capacity * supervisor.Workers.Count;
            bool Serving() => supervisor.ServingConnections.Count > 0;
            if (hello.Stt is { } sttCaps)
                stt.Add(new EnginePool<ISpeechToTextEngine>(pool, new WorkerPoolSttEngine(supervisor, sttCaps), capacity, Serving));
            if (hello.Tts is { } ttsCaps)
                // TTS requests are short and queue per worker; a socket holds few at a time.
                tts.Add(new EnginePool<ITextToSpeechEngine>(pool, new WorkerPoolTtsEngine(supervisor, ttsCaps), Math.Max(64, capacity * 16), Serving));
        }
        return new StaticEngineRouter(stt, tts);
    }

    /// <summary>Stops the gateway (draining sessions), then the workers.</summary>
    public async ValueTask DisposeAsync()
    {
        try { await App.StopAsync().ConfigureAwait(false); } catch (OperationCanceledException) { }
        await App.DisposeAsync().ConfigureAwait(false);
        foreach (var s in _supervisors) await s.Supervisor.DisposeAsync().ConfigureAwait(false);
        try { Directory.Delete(_socketDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// Logs every worker death (pool, slot, pid, why, the last line the worker wrote to stderr) as a
/// warning, and reports the first death that restarting cannot fix
/// (<see cref="WorkerProcess.IsConfigurationExit"/>).
/// </summary>
internal sealed class WorkerDeathLog
{
    public const string Category = "Vaani.Workers.Supervision";

    private readonly TaskCompletionSource<WorkerDeath> _configurationError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ILogger _logger;
    private volatile WorkerDeath? _last;

    public WorkerDeathLog(ILogger logger) => _logger = logger;

    /// <summary>Where deaths are logged from now on.</summary>
    public ILogger Logger { set => _logger = value; }

    /// <summary>Completes with the first death whose exit code says the machine or configuration must change.</summary>
    public Task<WorkerDeath> ConfigurationError => _configurationError.Task;

    /// <summary>The latest death, if any.</summary>
    public WorkerDeath? Last => _last;

    public void OnWorkerDied(object? sender, WorkerDiedEventArgs e)
    {
        var pool = (sender as WorkerSupervisor)?.Pool ?? "?";
        var death = new WorkerDeath(pool, e.ExitCode, Summarize(e));
        _last = death;
        _logger.LogWarning("worker {Pool}-{Slot} (pid {Pid}) ended: {Why}",
            pool, e.Worker.Index, e.ProcessId, death.Summary);
        if (WorkerProcess.IsConfigurationExit(e.ExitCode))
            _configurationError.TrySetResult(death);
    }

    /// <summary>The reason, and the worker's own last word on stderr when it said something.</summary>
    private static string Summarize(WorkerDiedEventArgs e)
    {
        var said = e.StderrTail.LastOrDefault(l => !string.IsNullOrWhiteSpace(l))?.Trim();
        if (said is null) return e.Reason;
        if (said.StartsWith("worker: ", StringComparison.Ordinal)) said = said["worker: ".Length..];
        return $"{e.Reason}: {said}";
    }
}

/// <summary>One worker death as <see cref="WorkerDeathLog"/> saw it.</summary>
internal sealed record WorkerDeath(string Pool, int? ExitCode, string Summary);
