using System.Collections.Concurrent;
using Vaani.Engines;
using Vaani.Workers.Client;
using Vaani.Workers.Net;
using Vaani.Workers.Tests.Infrastructure;

namespace Vaani.Workers.Tests.Client;

/// <summary>
/// Events pushed from the connection's reader to a sink (<see cref="ISpeechToTextSession.TrySetEventSink"/>)
/// instead of queued for <see cref="ISpeechToTextSession.ReadEventsAsync"/>: same events, same order,
/// one end; a sink's failure or refusal is its session's alone.
/// </summary>
public sealed class RemoteSttEventSinkTests
{
    /// <summary>Records what a session pushes; optionally refuses or throws at the first event.</summary>
    private sealed class RecordingSink(Func<SttEvent, bool>? onEvent = null) : ISttEventSink
    {
        private readonly TaskCompletionSource<Exception?> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _ends;

        public ConcurrentQueue<SttEvent> Events { get; } = new();
        public ConcurrentQueue<string?> Threads { get; } = new();
        public Task<Exception?> Ended => _ended.Task;
        public int Ends => Volatile.Read(ref _ends);

        public bool OnEvent(SttEvent e)
        {
            Threads.Enqueue(Thread.CurrentThread.Name);
            if (onEvent is not null && !onEvent(e)) return false;
            Events.Enqueue(e);
            return true;
        }

        public void OnCompleted(Exception? error)
        {
            Interlocked.Increment(ref _ends);
            _ended.TrySetResult(error);
        }
    }

    private static readonly AsyncLocal<string?> Opener = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sink_RunsWithoutTheContextOfWhoOpenedTheConnection(bool onLoop)
    {
        // A connection outlives the request that opened it: its reader (and what it runs inline,
        // such as a sink) must not carry that request's async-local state.
        Opener.Value = "the request that opened the connection";
        using var loop = onLoop ? new EventLoop("context test loop") : null;
        await using var worker = await TestWorker.StartAsync();
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, new WorkerConnectionOptions { Loop = loop }, CancellationToken.None);
        await using var session = await connection.Stt!.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);
        var seen = new ConcurrentQueue<string?>();
        var sink = new RecordingSink(_ => { seen.Enqueue(Opener.Value); return true; });
        Assert.True(session.TrySetEventSink(sink));

        foreach (var piece in TestAudio.Chunks(TestAudio.Linear16(1.2), 3200))
            await session.SendAudioAsync(piece, CancellationToken.None);
        await session.CompleteAsync(CancellationToken.None);

        Assert.Null(await sink.Ended.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.NotEmpty(seen);
        Assert.All(seen, Assert.Null);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sink_GetsEveryEventInOrder_ThenOneNormalEnd(bool onLoop)
    {
        await using var worker = await TestWorker.StartAsync();
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, ReadsOn.Options(onLoop), CancellationToken.None);
        await using var session = await connection.Stt!.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);
        var sink = new RecordingSink();
        Assert.True(session.TrySetEventSink(sink));
        Assert.False(session.TrySetEventSink(new RecordingSink())); // at most once
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in session.ReadEventsAsync(CancellationToken.None)) { }
        });

        var audio = TestAudio.Linear16(5.5);
        var half = audio.Length / 2 / 1234 * 1234;
        foreach (var piece in TestAudio.Chunks(audio[..half], 1234))
            await session.SendAudioAsync(piece, CancellationToken.None);
        await session.FinalizeAsync(CancellationToken.None);
        foreach (var piece in TestAudio.Chunks(audio[half..], 1234))
            await session.SendAudioAsync(piece, CancellationToken.None);
        await session.CompleteAsync(CancellationToken.None);

        Assert.Null(await sink.Ended.WaitAsync(TimeSpan.FromSeconds(30)));
        var events = sink.Events.ToList();
        Assert.Equal(["w0 w1", "w2 w3 w4"], events.OfType<SttFinal>().Select(f => f.Text));
        Assert.Equal(11, events.OfType<SttPartial>().Count()); // one per 0.5 s of audio
        var ends = events.Select(e => e switch { SttPartial p => p.End, SttFinal f => f.End, _ => TimeSpan.Zero }).ToList();
        Assert.Equal(ends.Order(), ends); // in order
        Assert.Equal(TimeSpan.FromSeconds(5.5), ends[^1]);
        // Pushed by the connection's reader: the event loop's thread when it reads on the loop.
        Assert.All(sink.Threads, name => Assert.Equal(onLoop, name?.StartsWith("vaani event loop", StringComparison.Ordinal) ?? false));
        await session.DisposeAsync();
        Assert.Equal(1, sink.Ends);
    }

    [Theory]
    [InlineData(false, false)]   // the sink is full: it refuses the event
    [InlineData(false, true)]    // the sink throws
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task SinkRefusesOrThrows_OnlyItsSessionFails(bool onLoop, bool throws)
    {
        await using var worker = await TestWorker.StartAsync();
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, ReadsOn.Options(onLoop), CancellationToken.None);
        await using var failing = await connection.Stt!.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);
        await using var healthy = await connection.Stt!.StartSessionAsync(new SttSessionOptions { InterimResults = false }, CancellationToken.None);
        var bad = new RecordingSink(_ => throws ? throw new InvalidDataException("the sink broke") : false);
        var good = new RecordingSink();
        Assert.True(failing.TrySetEventSink(bad));
        Assert.True(healthy.TrySetEventSink(good));

        await failing.SendAudioAsync(TestAudio.Linear16(0.6), CancellationToken.None); // a partial at 0.5 s
        var error = await bad.Ended.WaitAsync(TimeSpan.FromSeconds(10));

        if (throws)
            Assert.Equal("the sink broke", Assert.IsType<InvalidDataException>(error).Message);
        else
            Assert.Equal("event_overflow", Assert.IsType<EngineException>(error).Code);
        var send = await Assert.ThrowsAnyAsync<Exception>(async () => await failing.SendAudioAsync(new byte[640], CancellationToken.None));
        Assert.Same(error, send);
        Assert.Equal(1, bad.Ends);

        // The connection and its other session carry on.
        Assert.True(connection.IsAlive);
        await healthy.SendAudioAsync(TestAudio.Linear16(2.0), CancellationToken.None);
        await healthy.CompleteAsync(CancellationToken.None);
        Assert.Null(await good.Ended.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("w0 w1", Assert.Single(good.Events.OfType<SttFinal>()).Text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WorkerKilled_SinkEndsWithWorkerLost(bool onLoop)
    {
        await using var worker = await TestWorker.StartAsync();
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, ReadsOn.Options(onLoop), CancellationToken.None);
        await using var session = await connection.Stt!.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);
        var sink = new RecordingSink();
        Assert.True(session.TrySetEventSink(sink));
        await session.SendAudioAsync(TestAudio.Linear16(1), CancellationToken.None);
        await session.FinalizeAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!sink.Events.OfType<SttFinal>().Any() && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.Equal("w0", Assert.Single(sink.Events.OfType<SttFinal>()).Text);

        worker.Process.Kill(); // SIGKILL
        var error = await sink.Ended.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(WorkerConnection.WorkerLostCode, Assert.IsType<EngineException>(error).Code);
        await session.DisposeAsync();
        Assert.Equal(1, sink.Ends);
    }

    [Fact]
    public async Task TrySetEventSink_AfterAnEventWasQueued_RefusedAndTheQueueStillDelivers()
    {
        await using var worker = await TestWorker.StartAsync();
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, ReadsOn.Options(onLoop: true), CancellationToken.None);
        await using var session = await connection.Stt!.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);
        await session.SendAudioAsync(TestAudio.Linear16(1.2), CancellationToken.None); // partials at 0.5 and 1.0 s
        var events = session.ReadEventsAsync(CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.IsType<SttPartial>(events.Current);

        // An event has gone through the queue: switching now could reorder events, so it is refused.
        Assert.False(session.TrySetEventSink(new RecordingSink()));
        await session.CompleteAsync(CancellationToken.None);
        var rest = new List<SttEvent>();
        while (await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10))) rest.Add(events.Current);
        Assert.Equal("w0", Assert.Single(rest.OfType<SttFinal>()).Text);
    }
}
