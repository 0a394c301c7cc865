using Vaani.Engines;
using Vaani.Workers.Client;
using Vaani.Workers.Net;
using Vaani.Workers.Hosting;
using Vaani.Workers.Tests.Infrastructure;

namespace Vaani.Workers.Tests.Client;

/// <summary>Where a test connection reads its worker socket.</summary>
internal static class ReadsOn
{
    /// <summary>
    /// The connection's options: reads on a reader thread of its own, or (<paramref name="onLoop"/>)
    /// on an event loop, as the gateway runs it.
    /// </summary>
    public static WorkerConnectionOptions Options(bool onLoop, WorkerConnectionOptions? options = null) =>
        (options ?? new WorkerConnectionOptions()) with { Loop = onLoop ? EventLoop.Shared(1) : null };
}

public sealed class RemoteSttEngineTests
{
    private static async Task<List<SttEvent>> RunSessionAsync(ISpeechToTextEngine engine, byte[] audio, int chunk, bool finalizeMidway)
    {
        await using var session = await engine.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);
        var reading = Task.Run(async () =>
        {
            var list = new List<SttEvent>();
            await foreach (var e in session.ReadEventsAsync(CancellationToken.None))
                list.Add(e);
            return list;
        });
        var half = audio.Length / 2 / chunk * chunk;
        foreach (var piece in TestAudio.Chunks(audio[..half], chunk))
            await session.SendAudioAsync(piece, CancellationToken.None);
        if (finalizeMidway)
            await session.FinalizeAsync(CancellationToken.None);
        foreach (var piece in TestAudio.Chunks(audio[half..], chunk))
            await session.SendAudioAsync(piece, CancellationToken.None);
        await session.CompleteAsync(CancellationToken.None);
        return await reading.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StartSession_StreamedAudioWithFinalize_ReturnsOneWordPerSecondAcrossFinals(bool onLoop)
    {
        await using var worker = await TestWorker.StartAsync();
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, ReadsOn.Options(onLoop), CancellationToken.None);
        Assert.Equal("stt-passthrough", connection.Hello.Pool);
        Assert.Equal(worker.Process.Id, connection.Hello.Pid);

        // 5.5 s in odd-sized chunks: finalize at 2.75 s, complete at 5.5 s.
        var events = await RunSessionAsync(connection.Stt!, TestAudio.Linear16(5.5), chunk: 1234, finalizeMidway: true);

        var finals = events.OfType<SttFinal>().ToList();
        Assert.Equal(2, finals.Count);
        Assert.Equal("w0 w1", finals[0].Text);
        Assert.Equal("w2 w3 w4", finals[1].Text);
        Assert.Equal(TimeSpan.FromSeconds(2), finals[1].Words[0].Start);
        Assert.Equal(TimeSpan.FromSeconds(5), finals[1].Words[^1].End);
        Assert.Equal(finals[0].End, finals[1].Start);
        Assert.Equal(TimeSpan.FromSeconds(5.5), finals[1].End);
        Assert.All(finals, f => Assert.True(f.FromFinalize));
        Assert.Equal(11, events.OfType<SttPartial>().Count()); // one per 0.5 s of audio
    }
}

public sealed class RemoteSttEngineConcurrencyAndFailureTests
{
    private static async Task<List<SttEvent>> ReadAllAsync(ISpeechToTextSession session)
    {
        var list = new List<SttEvent>();
        await foreach (var e in session.ReadEventsAsync(CancellationToken.None))
            list.Add(e);
        return list;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StartSession_TenConcurrentSessionsOnOneConnection_EachGetsWordsForItsOwnAudio(bool onLoop)
    {
        await using var worker = await TestWorker.StartAsync();
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, ReadsOn.Options(onLoop), CancellationToken.None);

        var sessions = Enumerable.Range(1, 10).Select(async n =>
        {
            await using var session = await connection.Stt!.StartSessionAsync(new SttSessionOptions { InterimResults = false }, CancellationToken.None);
            var reading = ReadAllAsync(session);
            // Session n sends n seconds (+0.25 s) in 20 ms chunks, interleaved with the others on the socket.
            foreach (var chunk in TestAudio.Chunks(TestAudio.Linear16(n + 0.25, seed: n), 640))
                await session.SendAudioAsync(chunk, CancellationToken.None);
            await session.CompleteAsync(CancellationToken.None);
            return (n, events: await reading);
        }).ToList();

        foreach (var (n, events) in await Task.WhenAll(sessions).WaitAsync(TimeSpan.FromSeconds(60)))
        {
            var final = Assert.Single(events.OfType<SttFinal>());
            Assert.Equal(string.Join(' ', Enumerable.Range(0, n).Select(i => $"w{i}")), final.Text);
            Assert.Equal(TimeSpan.FromSeconds(n + 0.25), final.End);
        }
        Assert.True(connection.IsAlive);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SendAudioAsync_ThirtySecondReplayBurstInOneCall_FlowsThroughCreditWindowWithoutLoss(bool onLoop)
    {
        await using var worker = await TestWorker.StartAsync();
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, ReadsOn.Options(onLoop), CancellationToken.None);
        await using var session = await connection.Stt!.StartSessionAsync(new SttSessionOptions { InterimResults = false }, CancellationToken.None);
        var reading = ReadAllAsync(session);

        // 960 000 bytes: nearly 4× the 256 KiB window, in a single call as a replay would send it.
        await session.SendAudioAsync(TestAudio.Linear16(30), CancellationToken.None);
        await session.CompleteAsync(CancellationToken.None);

        var final = Assert.Single((await reading.WaitAsync(TimeSpan.FromSeconds(30))).OfType<SttFinal>());
        Assert.Equal(30, final.Words.Count);
        Assert.Equal("w29", final.Words[^1].Word);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadEventsAsync_WorkerKilledMidSession_FaultsWithWorkerLostPromptly(bool onLoop)
    {
        await using var worker = await TestWorker.StartAsync();
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, ReadsOn.Options(onLoop), CancellationToken.None);
        await using var session = await connection.Stt!.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);
        await session.SendAudioAsync(TestAudio.Linear16(1), CancellationToken.None);
        await session.FinalizeAsync(CancellationToken.None);
        var events = session.ReadEventsAsync(CancellationToken.None).GetAsyncEnumerator();
        while (await events.MoveNextAsync() && events.Current is not SttFinal) { }
        Assert.Equal("w0", ((SttFinal)events.Current).Text);

        var killedAt = System.Diagnostics.Stopwatch.StartNew();
        worker.Process.Kill(); // SIGKILL
        var ex = await Assert.ThrowsAsync<EngineException>(async () =>
        {
            while (await events.MoveNextAsync()) { }
        }).WaitAsync(TimeSpan.FromSeconds(10));
        var latency = killedAt.Elapsed;

        Assert.Equal(WorkerConnection.WorkerLostCode, ex.Code);
        Assert.False(ex.IsPermanent);
        Assert.True(latency < TimeSpan.FromSeconds(2), $"fault took {latency.TotalMilliseconds} ms");
        var send = await Assert.ThrowsAsync<EngineException>(async () => await session.SendAudioAsync(new byte[640], CancellationToken.None));
        Assert.Equal(WorkerConnection.WorkerLostCode, send.Code);
        Assert.False(connection.IsAlive);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Heartbeat_WorkerStoppedWithSigstop_SessionFaultsWithWorkerLostAfterLivenessTimeout(bool onLoop)
    {
        await using var worker = await TestWorker.StartAsync();
        var options = new WorkerConnectionOptions { PingInterval = TimeSpan.FromMilliseconds(100), LivenessTimeout = TimeSpan.FromSeconds(1) };
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, ReadsOn.Options(onLoop, options), CancellationToken.None);
        await using var session = await connection.Stt!.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);
        await session.SendAudioAsync(TestAudio.Linear16(0.5), CancellationToken.None);

        var stoppedAt = System.Diagnostics.Stopwatch.StartNew();
        Signal.Send(worker.Process.Id, "STOP");
        var ex = await Assert.ThrowsAsync<EngineException>(async () =>
        {
            await foreach (var _ in session.ReadEventsAsync(CancellationToken.None)) { }
        }).WaitAsync(TimeSpan.FromSeconds(10));
        var latency = stoppedAt.Elapsed;

        Assert.Equal(WorkerConnection.WorkerLostCode, ex.Code);
        Assert.Contains("liveness", ex.Message);
        Assert.False(worker.Process.HasExited);
        Assert.InRange(latency, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task ConnectAsync_NoWorkerListening_ThrowsWorkerUnavailable()
    {
        using var dir = new TempDir();
        var ex = await Assert.ThrowsAsync<EngineException>(() => WorkerConnection.ConnectAsync(Path.Combine(dir.Path, "none.sock"), null, CancellationToken.None));
        Assert.Equal("worker_unavailable", ex.Code);
        Assert.False(ex.IsPermanent);
        Assert.Contains("none.sock", ex.Message);
    }
}

public sealed class RemoteSttSessionReleaseTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dispose_AfterLocalFault_WorkerReleasesTheSession(bool onLoop)
    {
        await using var worker = await TestWorker.StartAsync();
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, ReadsOn.Options(onLoop), CancellationToken.None);
        var session = (RemoteSttSession)await connection.Stt!.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);
        await session.SendAudioAsync(TestAudio.Linear16(0.5), CancellationToken.None);
        await WaitForAsync(() => connection.Capacity.Active == 1);

        // The gateway gave up on the session locally (e.g. its client vanished mid-send).
        session.Fault(new EngineException("worker_lost", "no progress", isPermanent: false));
        await session.DisposeAsync();

        await WaitForAsync(() => connection.Capacity.Active == 0);
        Assert.Equal(0, connection.Capacity.Active);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(20);
    }
}

public sealed class RemoteSttCreditTests
{
    /// <summary>
    /// The worker credits audio in batches (a quarter window, or after its credit interval). A small
    /// chunk followed by silence must still be credited: otherwise the gateway's progress watch would
    /// see audio outstanding with nothing coming back and declare the worker lost.
    /// </summary>
    [Fact]
    public async Task SendAudio_SmallChunkThenPause_CreditedBeforeTheProgressTimeout()
    {
        await using var worker = await TestWorker.StartAsync();
        // The progress timeout sits a clear margin above the worker's credit interval (as the
        // production pair does, 10 s over 1 s): at equal values the credit and the watch would race.
        // Only the progress watch is under test: liveness (pongs) gets a generous bound, so a worker
        // process slowed by the rest of the suite running in parallel cannot fail the test.
        var progressTimeout = HostedSttSession.CreditInterval * 2;
        var options = new WorkerConnectionOptions
        {
            PingInterval = TimeSpan.FromMilliseconds(100),
            ProgressTimeout = progressTimeout,
            LivenessTimeout = TimeSpan.FromSeconds(60),
        };
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, options, CancellationToken.None);
        // No partials (the passthrough emits one per 0.5 s of audio), so only credit can show progress.
        await using var session = await connection.Stt!.StartSessionAsync(new SttSessionOptions { InterimResults = false, Endpointing = null }, CancellationToken.None);
        var reading = Task.Run(async () =>
        {
            var list = new List<SttEvent>();
            await foreach (var e in session.ReadEventsAsync(CancellationToken.None))
                list.Add(e);
            return list;
        });

        await session.SendAudioAsync(TestAudio.Linear16(0.02), CancellationToken.None); // 640 bytes, far below a quarter window
        // Two progress timeouts of silence: the 640 bytes stay outstanding unless the worker credits them.
        await Task.Delay(progressTimeout * 2);
        Assert.True(connection.IsAlive, $"the connection was lost: {connection.LostReason?.Message}");

        await session.SendAudioAsync(TestAudio.Linear16(1.0), CancellationToken.None);
        await session.CompleteAsync(CancellationToken.None);
        var events = await reading.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(1.02), events.OfType<SttFinal>().Last().End);
    }
}

public sealed class RemoteSttCallerContextTests
{
    /// <summary>
    /// A caller whose awaits resume on a context with one thread (a UI thread, a test framework) used
    /// to lend that context to the connection: the frame writer resumed inline on the caller's thread,
    /// captured its context, and from then on every ping and frame waited for that thread. A busy
    /// caller then stalled the connection until the liveness timeout declared the worker lost.
    /// </summary>
    [Fact]
    public async Task CallerContextBusy_ConnectionKeepsPingingAndServing()
    {
        await using var worker = await TestWorker.StartAsync();
        var options = new WorkerConnectionOptions { PingInterval = TimeSpan.FromMilliseconds(100), LivenessTimeout = TimeSpan.FromSeconds(1) };
        using var context = new SingleThreadContext();
        var (connection, session) = await context.RunAsync(async () =>
        {
            var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, options, CancellationToken.None);
            var session = await connection.Stt!.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);
            await session.SendAudioAsync(TestAudio.Linear16(0.5), CancellationToken.None);
            return (connection, session);
        }).WaitAsync(TimeSpan.FromSeconds(30));
        await using var _ = connection;

        await context.BlockAsync(TimeSpan.FromSeconds(3)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(connection.IsAlive, connection.LostReason?.Message);
        // The session still works from another thread.
        await session.SendAudioAsync(TestAudio.Linear16(1.5), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await session.CompleteAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var events = new List<SttEvent>();
        await foreach (var e in session.ReadEventsAsync(CancellationToken.None).WithCancellation(CancellationToken.None))
            events.Add(e);
        Assert.Equal("w0 w1", string.Join(' ', events.OfType<SttFinal>().Select(f => f.Text)));
        await session.DisposeAsync();
    }
}

public sealed class WorkerConnectCallerThreadTests
{
    /// <summary>Waiting for a slow worker's Hello must not hold the caller's thread (its reads block in poll(2)).</summary>
    [Fact]
    public async Task ConnectAsync_WorkerSlowToGreet_CallerThreadStaysFree()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "silent.sock");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        listener.Listen(1); // accepts (in the kernel) and never says Hello
        using var context = new SingleThreadContext();
        var options = new WorkerConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(3) };

        var connect = context.RunAsync(() => WorkerConnection.ConnectAsync(path, options, CancellationToken.None));
        var free = await context.RunAsync(() => Task.FromResult(true)).WaitAsync(TimeSpan.FromSeconds(1.5));

        Assert.True(free);
        Assert.False(connect.IsCompleted);
        var ex = await Assert.ThrowsAsync<EngineException>(() => connect.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("worker_unavailable", ex.Code);
        Assert.Contains("no Hello within 3 s", ex.Message);
    }
}
