using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Vaani.Engines;
using Vaani.Gateway.Hosting;
using Vaani.Gateway.Tests.Infrastructure;

namespace Vaani.Gateway.Tests;

/// <summary>How a node reports workers that die: at start (fail fast with the worker's reason) and later (a warning per death).</summary>
public sealed class LocalNodeStartTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task StartAsync_EngineCannotStart_FailsAtOnceWithTheWorkersReasonAndLogsIt()
    {
        var log = new CapturedLog();
        var options = NodeFixture.Options() with
        {
            // A real PocketSphinx worker with an invalid decoder count: it exits saying why, with the
            // exit code for a configuration restarting cannot fix.
            Launch = NodeFixture.Options().Launch with { Environment = new Dictionary<string, string> { ["VAANI_STT_DECODERS"] = "0" } },
            Pools = [("stt-en", 1)],
            Logging = log.Configure,
        };
        var started = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<EngineException>(() => LocalNode.StartAsync(options, CancellationToken.None).WaitAsync(Deadline));

        Assert.Equal("workers_not_ready", error.Code);
        Assert.Contains("pool 'stt-en' cannot start", error.Message);
        Assert.Contains("exited with code 3", error.Message);
        Assert.Contains("PoolSize 0 is out of range", error.Message);
        // Not after the two-minute ready timeout.
        Assert.True(started.Elapsed < options.ReadyTimeout, $"took {started.Elapsed}");
        Assert.Contains(log.Messages, m => m.Level == LogLevel.Warning && m.Text.StartsWith("worker stt-en-0 (pid ", StringComparison.Ordinal) && m.Text.Contains("PoolSize 0 is out of range"));
    }

    [Fact]
    public async Task WorkerKilledWhileServing_DeathIsLoggedAndTheWorkerRestarts()
    {
        var log = new CapturedLog();
        var options = NodeFixture.Options() with { Pools = [("stt-passthrough", 1)], Logging = log.Configure };
        await using var node = await LocalNode.StartAsync(options, CancellationToken.None).WaitAsync(Deadline);
        var supervisor = node.Supervisor("stt-passthrough");
        int pid = supervisor.Workers[0].ProcessId!.Value;

        Process.GetProcessById(pid).Kill(); // SIGKILL

        var line = await log.WaitForAsync(m => m.Text.StartsWith($"worker stt-passthrough-0 (pid {pid}) ended: ", StringComparison.Ordinal)).WaitAsync(Deadline);
        Assert.Equal(LogLevel.Warning, line.Level);
        await supervisor.WaitUntilAsync(ws => ws[0].State == Vaani.Workers.Supervision.WorkerState.Serving && ws[0].ProcessId != pid, CancellationToken.None).WaitAsync(Deadline);
    }

    /// <summary>Every log line at Warning or above, as formatted.</summary>
    private sealed class CapturedLog : ILoggerProvider
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Text)> _messages = new();
        private readonly SemaphoreSlim _added = new(0);

        public IReadOnlyCollection<(LogLevel Level, string Text)> Messages => _messages;

        public void Configure(ILoggingBuilder builder) => builder.AddProvider(this).SetMinimumLevel(LogLevel.Warning);

        public async Task<(LogLevel Level, string Text)> WaitForAsync(Func<(LogLevel Level, string Text), bool> match)
        {
            while (true)
            {
                foreach (var m in _messages)
                    if (match(m)) return m;
                await _added.WaitAsync();
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose() { }

        private sealed class Logger(CapturedLog owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel)) return;
                owner._messages.Enqueue((logLevel, formatter(state, exception)));
                owner._added.Release();
            }
        }
    }
}
