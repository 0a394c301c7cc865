using System.Diagnostics;
using Vaani.Engines;
using Vaani.Workers.Client;
using Vaani.Testing;
using Vaani.Workers.Supervision;
using Vaani.Workers.Tests.Infrastructure;

namespace Vaani.Workers.Tests.Supervision;

public sealed class WorkerSupervisorTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static WorkerLaunchSpec TestHostSpec() => new()
    {
        FileName = "dotnet",
        Arguments = [TestWorker.HostDll, "--pool", "{pool}", "--socket", "{socket}"],
    };

    private static WorkerSupervisorOptions Options(string pool, TempDir dir, FakeTimeProvider time, int count = 1) => new()
    {
        Pool = pool,
        SocketDirectory = dir.Path,
        WorkerCount = count,
        TimeProvider = time,
        Random = new Random(7),
        Backoff = new BackoffPolicy { Initial = TimeSpan.FromSeconds(1), Max = TimeSpan.FromSeconds(8), Jitter = 0.2 },
    };

    private static async Task<string> TranscribeAsync(ISpeechToTextEngine engine, double seconds)
    {
        await using var session = await engine.StartSessionAsync(new SttSessionOptions { InterimResults = false }, CancellationToken.None);
        await session.SendAudioAsync(TestAudio.Linear16(seconds), CancellationToken.None);
        await session.CompleteAsync(CancellationToken.None);
        var text = "";
        await foreach (var e in session.ReadEventsAsync(CancellationToken.None))
            if (e is SttFinal f) text = f.Text;
        return text;
    }

    [Fact]
    public async Task Start_TwoWorkers_BothServeWithDistinctProcessesAndSockets()
    {
        using var dir = new TempDir();
        await using var supervisor = new WorkerSupervisor(TestHostSpec(), Options("stt-passthrough", dir, new FakeTimeProvider(), count: 2));
        supervisor.Start();

        await supervisor.WaitUntilServingAsync(CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal(2, supervisor.ServingConnections.Count);
        Assert.NotEqual(supervisor.Workers[0].ProcessId, supervisor.Workers[1].ProcessId);
        Assert.Equal(Path.Combine(dir.Path, "stt-passthrough-1.sock"), supervisor.Workers[1].SocketPath);
        foreach (var connection in supervisor.ServingConnections)
            Assert.Equal("w0 w1", await TranscribeAsync(connection.Stt!, 2));
    }

    [Fact]
    public async Task WorkerKilledMidSession_SessionFaultsWorkerLost_RestartsAfterBackoffAndServesNewSession()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider();
        await using var supervisor = new WorkerSupervisor(TestHostSpec(), Options("stt-passthrough", dir, time));
        var died = new TaskCompletionSource<WorkerDiedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        supervisor.WorkerDied += (_, e) => died.TrySetResult(e);
        supervisor.Start();
        await supervisor.WaitUntilServingAsync(CancellationToken.None).WaitAsync(Deadline);
        var worker = supervisor.Workers[0];
        var firstPid = worker.ProcessId!.Value;

        await using var session = await worker.Connection!.Stt!.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);
        await session.SendAudioAsync(TestAudio.Linear16(1.5), CancellationToken.None);
        var killed = Stopwatch.StartNew();
        Process.GetProcessById(firstPid).Kill(); // SIGKILL, mid-session

        var ex = await Assert.ThrowsAsync<EngineException>(async () =>
        {
            await foreach (var _ in session.ReadEventsAsync(CancellationToken.None)) { }
        }).WaitAsync(Deadline);
        var faultLatency = killed.Elapsed;
        Assert.Equal(WorkerConnection.WorkerLostCode, ex.Code);
        Assert.False(ex.IsPermanent);
        Assert.True(faultLatency < TimeSpan.FromSeconds(2), $"fault took {faultLatency.TotalMilliseconds} ms");

        var death = await died.Task.WaitAsync(Deadline);
        Assert.Equal(firstPid, death.ProcessId);
        await supervisor.WaitUntilAsync(ws => ws[0].State == WorkerState.Backoff, CancellationToken.None).WaitAsync(Deadline);
        // First failure: 1 s shortened by at most 20 % jitter.
        var delay = worker.RestartDelay!.Value;
        Assert.InRange(delay, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(1));
        await time.WaitForTimerAsync(delay).WaitAsync(Deadline);

        time.Advance(delay - TimeSpan.FromTicks(1));
        Assert.Equal(WorkerState.Backoff, worker.State); // not a tick early
        time.Advance(TimeSpan.FromTicks(1));

        await supervisor.WaitUntilServingAsync(CancellationToken.None).WaitAsync(Deadline);
        Assert.NotEqual(firstPid, worker.ProcessId);
        Assert.Equal(1, worker.Restarts);
        Assert.Equal("w0 w1 w2", await TranscribeAsync(worker.Connection!.Stt!, 3.2));
    }

    [Fact]
    public async Task UnknownPool_CrashLoop_BackoffDoublesPerConsecutiveFailureUpToCap()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider();
        var options = Options("stt-klingon", dir, time) with { Backoff = new BackoffPolicy { Initial = TimeSpan.FromSeconds(1), Max = TimeSpan.FromSeconds(4), Jitter = 0 } };
        await using var supervisor = new WorkerSupervisor(TestHostSpec(), options);
        var deaths = new List<WorkerDiedEventArgs>();
        supervisor.WorkerDied += (_, e) => { lock (deaths) deaths.Add(e); };
        supervisor.Start();
        var worker = supervisor.Workers[0];

        var delays = new List<TimeSpan>();
        for (var attempt = 0; attempt < 4; attempt++)
        {
            await supervisor.WaitUntilAsync(ws => ws[0].State == WorkerState.Backoff && ws[0].Restarts == attempt, CancellationToken.None).WaitAsync(Deadline);
            delays.Add(worker.RestartDelay!.Value);
            await time.WaitForTimerAsync(worker.RestartDelay.Value).WaitAsync(Deadline);
            time.Advance(worker.RestartDelay.Value);
        }

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4)], delays);
        lock (deaths)
        {
            Assert.True(deaths.Count >= 4);
            Assert.All(deaths, d => Assert.Equal(2, d.ExitCode));
            Assert.Contains(deaths[0].StderrTail, l => l.Contains("'stt-klingon' is not registered"));
        }
    }

    [Fact]
    public async Task WorkerStoppedWithSigstop_DeclaredDeadByLivenessTimeout_KilledAndRestarted()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider();
        var options = Options("stt-passthrough", dir, time) with
        {
            Connection = new WorkerConnectionOptions { PingInterval = TimeSpan.FromMilliseconds(100), LivenessTimeout = TimeSpan.FromSeconds(1) },
        };
        await using var supervisor = new WorkerSupervisor(TestHostSpec(), options);
        var died = new TaskCompletionSource<WorkerDiedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        supervisor.WorkerDied += (_, e) => died.TrySetResult(e);
        supervisor.Start();
        await supervisor.WaitUntilServingAsync(CancellationToken.None).WaitAsync(Deadline);
        var pid = supervisor.Workers[0].ProcessId!.Value;

        Signal.Send(pid, "STOP");
        var death = await died.Task.WaitAsync(Deadline);

        Assert.Contains("liveness", death.Reason);
        // The stalled process was killed, not left behind.
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid));
        await supervisor.WaitUntilAsync(ws => ws[0].State == WorkerState.Backoff, CancellationToken.None).WaitAsync(Deadline);
        await time.WaitForTimerAsync(supervisor.Workers[0].RestartDelay!.Value).WaitAsync(Deadline);
        time.Advance(supervisor.Workers[0].RestartDelay!.Value);
        await supervisor.WaitUntilServingAsync(CancellationToken.None).WaitAsync(Deadline);
        Assert.NotEqual(pid, supervisor.Workers[0].ProcessId);
    }

    [Fact]
    public async Task DisposeAsync_ServingWorkers_KillsChildrenAndRemovesSockets()
    {
        using var dir = new TempDir();
        var supervisor = new WorkerSupervisor(TestHostSpec(), Options("stt-passthrough", dir, new FakeTimeProvider(), count: 2));
        supervisor.Start();
        await supervisor.WaitUntilServingAsync(CancellationToken.None).WaitAsync(Deadline);
        var pids = supervisor.Workers.Select(w => w.ProcessId!.Value).ToList();

        await supervisor.DisposeAsync().AsTask().WaitAsync(Deadline);

        foreach (var pid in pids)
            Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid));
        Assert.All(supervisor.Workers, w => Assert.Equal(WorkerState.Stopped, w.State));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.sock"));
    }
}
