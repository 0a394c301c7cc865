using Vaani.Testing;
using System.Net;
using System.Net.Sockets;
using Vaani.Workers.Net;

namespace Vaani.Workers.Tests.Net;

/// <summary>The gateway's epoll loop on real loopback TCP sockets.</summary>
public sealed class EventLoopTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly EventLoop _loop = new("test event loop");

    public void Dispose() => _loop.Dispose();

    /// <summary>A connected loopback pair: the socket the loop watches, and its peer (used blocking). Disposes both.</summary>
    private sealed class Pair : IDisposable
    {
        public Pair()
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            Peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            Peer.Connect(listener.LocalEndPoint!);
            Watched = listener.Accept();
        }

        public Socket Watched { get; }
        public Socket Peer { get; }

        public void Dispose()
        {
            Watched.Dispose();
            Peer.Dispose();
        }
    }

    private static int ReceiveNow(Socket socket, byte[] buffer, out SocketError status) =>
        socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out status);

    /// <summary>Asserts that <paramref name="socket"/> has nothing to read now (a receive would block).</summary>
    private static void AssertEmpty(Socket socket, byte[] buffer)
    {
        ReceiveNow(socket, buffer, out var status);
        Assert.Equal(SocketError.WouldBlock, status);
    }

    [Fact]
    public async Task WaitReadable_CompletesOnTheLoopThread_OnceThePeerSends()
    {
        using var pair = new Pair();
        var (watched, peer) = (pair.Watched, pair.Peer);
        using var watch = _loop.Watch(watched, writes: false);
        var buffer = new byte[64];
        AssertEmpty(watched, buffer);

        var wait = WaitThenReportThreadAsync(watch);
        Assert.False(wait.IsCompleted);
        peer.Send("hello"u8);
        Assert.True(await wait.WaitAsync(Timeout), "the continuation did not run on the loop's thread");
        Assert.Equal(5, ReceiveNow(watched, buffer, out var status));
        Assert.Equal(SocketError.Success, status);
    }

    [Fact]
    public async Task Watch_SlotsReusedAndGrown_EachSocketGetsOnlyItsOwnEvents()
    {
        // More sockets than the first slot table holds (64), then stopped ones' slots taken again.
        var pairs = Enumerable.Range(0, 80).Select(_ => new Pair()).ToList();
        try
        {
            var watches = pairs.Take(70).Select(p => _loop.Watch(p.Watched, writes: false)).ToList();
            var stopped = watches.Take(10).ToList();
            foreach (var w in stopped) w.Dispose();
            watches.RemoveRange(0, 10);
            watches.AddRange(pairs.Skip(70).Select(p => _loop.Watch(p.Watched, writes: false)));

            foreach (var w in stopped)
                Assert.Null(_loop.FindRegistered(w.Id)); // a late event for it reaches nothing, not the socket now in its slot
            Assert.Equal(watches.Count, watches.Select(w => w.Id).Distinct().Count());
            Assert.All(watches, w => Assert.Same(w, _loop.FindRegistered(w.Id)));
            Assert.Contains(watches, w => stopped.Any(s => (uint)s.Id == (uint)w.Id)); // slots were reused

            // The peers of every other socket send: exactly those waits complete.
            var waits = watches.Select(w => w.WaitReadableAsync().AsTask()).ToList();
            for (int i = 0; i < watches.Count; i += 2)
                pairs.Single(p => p.Watched == watches[i].Socket).Peer.Send("x"u8);
            for (int i = 0; i < watches.Count; i += 2)
                await waits[i].WaitAsync(Timeout);
            await Task.Delay(100); // time enough for a wrongly routed event to have arrived
            for (int i = 1; i < watches.Count; i += 2)
                Assert.False(waits[i].IsCompleted, $"socket {i} saw an event meant for another");
            foreach (var w in watches) w.Dispose();
        }
        finally
        {
            foreach (var p in pairs) p.Dispose();
        }
    }

    private async Task<bool> WaitThenReportThreadAsync(SocketWatch watch)
    {
        await watch.WaitReadableAsync().ConfigureAwait(false);
        return _loop.IsOnLoop;
    }

    [Fact]
    public async Task AnEdgeBeforeTheWait_IsNotLost_AndAConsumedOneDoesNotRepeat()
    {
        using var pair = new Pair();
        var (watched, peer) = (pair.Watched, pair.Peer);
        using var watch = _loop.Watch(watched, writes: false);
        var buffer = new byte[64];
        // Data arrives while nobody waits (the owner is busy elsewhere): the next wait completes at once.
        peer.Send("early"u8);
        await watch.WaitReadableAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(5, ReceiveNow(watched, buffer, out _));

        // The socket is empty and no edge is pending: a wait stays pending until new data comes.
        AssertEmpty(watched, buffer);
        var wait = watch.WaitReadableAsync().AsTask();
        await Task.Delay(200);
        Assert.False(wait.IsCompleted, "a wait completed with no new data and no pending edge");
        peer.Send("late"u8);
        await wait.WaitAsync(Timeout);
        Assert.Equal(4, ReceiveNow(watched, buffer, out _));
    }

    [Fact]
    public async Task TryArmReadable_HandlerRunsOnceOnTheLoop_WhenThePeerSends()
    {
        using var pair = new Pair();
        var (watched, peer) = (pair.Watched, pair.Peer);
        using var watch = _loop.Watch(watched, writes: false);
        var buffer = new byte[64];
        AssertEmpty(watched, buffer);

        int runs = 0;
        var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler()
        {
            Interlocked.Increment(ref runs);
            ran.TrySetResult(_loop.IsOnLoop);
        }

        Assert.True(watch.TryArmReadable(Handler));
        await Task.Delay(100);
        Assert.Equal(0, Volatile.Read(ref runs)); // nothing to read, nothing run
        peer.Send("hello"u8);
        Assert.True(await ran.Task.WaitAsync(Timeout), "the handler did not run on the loop's thread");
        Assert.Equal(5, ReceiveNow(watched, buffer, out _));
        // One run per arming: more data with no new arming runs nothing, and is not lost either.
        peer.Send("again"u8);
        await Task.Delay(200);
        Assert.Equal(1, Volatile.Read(ref runs));
        Assert.False(watch.TryArmReadable(Handler)); // readiness came meanwhile: read now
        Assert.Equal(5, ReceiveNow(watched, buffer, out _));
    }

    [Fact]
    public async Task TryArmReadable_AnEdgeBeforeArming_SaysReadNow_AndWakeAndDisposeRunTheHandler()
    {
        using var pair = new Pair();
        var (watched, peer) = (pair.Watched, pair.Peer);
        var watch = _loop.Watch(watched, writes: false);
        var buffer = new byte[64];
        // Data arrives while nobody is armed: arming reports it instead of waiting for an edge that came.
        peer.Send("early"u8);
        await watch.WaitReadableAsync().AsTask().WaitAsync(Timeout); // the edge has been seen by the loop
        peer.Send("x"u8);
        await Task.Delay(200);
        Assert.False(watch.TryArmReadable(() => Assert.Fail("armed although readiness was pending")));
        Assert.Equal(6, ReceiveNow(watched, buffer, out _));

        int woken = 0;
        Assert.True(watch.TryArmReadable(() => woken++));
        watch.WakeReader(); // runs the handler on this thread
        Assert.Equal(1, woken);

        Assert.True(watch.TryArmReadable(() => woken++));
        watch.Dispose();
        Assert.Equal(2, woken);
        // After disposal nothing is armed any more: the owner reads now and sees the state.
        Assert.False(watch.TryArmReadable(() => woken++));
        Assert.Equal(2, woken);
    }

    [Fact]
    public async Task WakeReader_AndDispose_EndAPendingWaitWithoutData()
    {
        using var pair = new Pair();
        var (watched, peer) = (pair.Watched, pair.Peer);
        var watch = _loop.Watch(watched, writes: false);
        var woken = watch.WaitReadableAsync().AsTask();
        Assert.False(woken.IsCompleted);
        watch.WakeReader();
        await woken.WaitAsync(Timeout);

        var disposed = watch.WaitReadableAsync().AsTask();
        Assert.False(disposed.IsCompleted);
        watch.Dispose();
        await disposed.WaitAsync(Timeout);
        // After disposal every wait completes at once: the owner's next call reports the state.
        Assert.True(watch.WaitReadableAsync().AsTask().IsCompleted);
    }

    [Fact]
    public async Task PeerCloses_CompletesTheReadWait_AndTheReceiveSeesTheEnd()
    {
        using var pair = new Pair();
        var (watched, peer) = (pair.Watched, pair.Peer);
        using var watch = _loop.Watch(watched, writes: false);
        var wait = watch.WaitReadableAsync().AsTask();
        peer.Dispose();
        await wait.WaitAsync(Timeout);
        Assert.Equal(0, ReceiveNow(watched, new byte[8], out var status));
        Assert.Equal(SocketError.Success, status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PeerSendsThenEnds_InOneEdge_TheWaitAfterTheShortReadStillCompletes(bool reset)
    {
        using var pair = new Pair();
        var (watched, peer) = (pair.Watched, pair.Peer);
        using var watch = _loop.Watch(watched, writes: true);
        var first = watch.WaitReadableAsync().AsTask();

        // The data and the end arrive while the loop is busy: the kernel reports them as one edge.
        using (new LoopHold(_loop))
        {
            peer.Send("hello"u8);
            if (reset) peer.LingerState = new LingerOption(true, 0); // close sends RST
            else peer.Shutdown(SocketShutdown.Send);
            peer.Close();
            await Task.Delay(100);
        }
        await first.WaitAsync(Timeout);

        var buffer = new byte[64];
        int n = ReceiveNow(watched, buffer, out var status);
        if (status == SocketError.Success && n > 0)
        {
            // A read shorter than the buffer: the owner waits before reading again. That edge was the
            // last one the kernel gives, so this wait must complete without another.
            Assert.Equal(5, n);
            await watch.WaitReadableAsync().AsTask().WaitAsync(Timeout);
            n = ReceiveNow(watched, buffer, out status);
        }
        // The end of the stream, or the reset.
        Assert.True(n == 0 && status == SocketError.Success || status == SocketError.ConnectionReset, $"read {n}, {status}");
        // And the socket's end stays visible to every later wait, in both directions after a reset.
        Assert.True(watch.WaitReadableAsync().AsTask().IsCompleted);
        if (reset) Assert.True(watch.WaitWritableAsync().AsTask().IsCompleted);
    }

    [Fact]
    public async Task WaitWritable_OnAFullSocket_CompletesOnceThePeerReads()
    {
        using var pair = new Pair();
        var (watched, peer) = (pair.Watched, pair.Peer);
        watched.SendBufferSize = 16 * 1024;
        peer.ReceiveBufferSize = 16 * 1024;
        using var watch = _loop.Watch(watched, writes: true);
        var chunk = new byte[8192];
        long sent = 0;
        Task pending;
        // Fill until the kernel refuses more and stays full: over loopback, acknowledgements free the
        // send buffer until the peer's window closes too, and each of those raises a writable edge.
        while (true)
        {
            int n = watched.Send(chunk, 0, chunk.Length, SocketFlags.None, out var status);
            if (status == SocketError.Success)
            {
                sent += n;
                Assert.True(sent < 256L * 1024 * 1024, "the socket never filled");
                continue;
            }
            Assert.Equal(SocketError.WouldBlock, status);
            pending = watch.WaitWritableAsync().AsTask();
            if (await Task.WhenAny(pending, Task.Delay(300)) != pending) break; // full, and nothing frees it
        }
        var drained = new byte[1 << 20];
        long read = 0;
        while (read < sent) read += peer.Receive(drained);
        await pending.WaitAsync(Timeout);
        Assert.True(watched.Send(chunk, 0, chunk.Length, SocketFlags.None, out var after) > 0);
        Assert.Equal(SocketError.Success, after);
    }

    [Fact]
    public async Task CreateTimer_Periodic_RunsOnTheLoopThreadUntilDisposed()
    {
        var threads = new System.Collections.Concurrent.ConcurrentQueue<bool>();
        var third = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timer = _loop.CreateTimer(_ =>
        {
            threads.Enqueue(_loop.IsOnLoop);
            if (threads.Count == 3) third.TrySetResult();
        }, null, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10));

        await third.Task.WaitAsync(Timeout);
        timer.Dispose();
        int fired = threads.Count;
        await Task.Delay(100);

        Assert.All(threads, onLoop => Assert.True(onLoop));
        // At most one callback already under way when Dispose returned.
        Assert.InRange(threads.Count, fired, fired + 1);
        Assert.False(timer.Change(TimeSpan.Zero, TimeSpan.Zero));
    }

    [Fact]
    public async Task CreateTimer_ChangeRearmsAndInfiniteDisarms()
    {
        int fired = 0;
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = _loop.CreateTimer(_ => { Interlocked.Increment(ref fired); first.TrySetResult(); }, null, System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);

        await Task.Delay(100);
        Assert.Equal(0, Volatile.Read(ref fired)); // created disarmed

        Assert.True(timer.Change(TimeSpan.Zero, System.Threading.Timeout.InfiniteTimeSpan)); // once, at once
        await first.Task.WaitAsync(Timeout);
        await Task.Delay(100);
        Assert.Equal(1, Volatile.Read(ref fired));

        Assert.True(timer.Change(TimeSpan.FromMilliseconds(50), System.Threading.Timeout.InfiniteTimeSpan));
        Assert.True(timer.Change(System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan)); // disarmed before it was due
        await Task.Delay(200);
        Assert.Equal(1, Volatile.Read(ref fired));
    }

    [Fact]
    public async Task EventLoopTimeProvider_TaskDelay_CompletesOnTheLoop()
    {
        var time = new EventLoopTimeProvider(_loop);
        bool? onLoop = null;
        await Task.Delay(TimeSpan.FromMilliseconds(20), time).ContinueWith(_ => onLoop = _loop.IsOnLoop, TaskContinuationOptions.ExecuteSynchronously).WaitAsync(Timeout);
        Assert.True(onLoop);
    }
}
