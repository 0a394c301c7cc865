using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Vaani.Engines;
using Vaani.Gateway.Routing;
using Vaani.Workers.Client;
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
        try
        {
            foreach (var s in supervisors) s.Supervisor.Start();
            using (var ready = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                ready.CancelAfter(options.ReadyTimeout);
                try { await Task.WhenAll(supervisors.Select(s => s.Supervisor.WaitUntilServingAsync(ready.Token))).ConfigureAwait(false); }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new EngineException("workers_not_ready", $"engine workers did not start within {options.ReadyTimeout.TotalSeconds:0} s; run scripts/setup.sh and check the log", isPermanent: false);
                }
            }
            var app = GatewayApp.Build(options.Gateway, BuildRouter(supervisors), options.Logging, options.Control);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            return new LocalNode(app, supervisors, options.SocketDirectory);
        }
        catch
        {
            foreach (var s in supervisors) await s.Supervisor.DisposeAsync().ConfigureAwait(false);
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
