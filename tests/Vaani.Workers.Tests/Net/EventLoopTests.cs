using System.Net;
using System.Net.Sockets;
using Vaani.Workers.Net;

namespace Vaani.Workers.Tests.Net;

/// <summary>The gateway's event loop on real loopback TCP sockets, on epoll.</summary>
public sealed class EpollEventLoopTests() : EventLoopTests(EventLoopBackend.Epoll);

/// <summary>
/// The same on io_uring: the kernel receives into the loop's shared buffers and reads are copies.
/// These fail, not skip, where the kernel refuses io_uring: the gateway would then run on epoll.
/// </summary>
public sealed class IoUringEventLoopTests() : EventLoopTests(EventLoopBackend.IoUring)
{
    [Fact]
    public async Task AFastSender_IsHeldBackAtTheQueueLimit_AndEveryByteArrivesInOrder()
    {
        using var pair = new Pair();
        var (watched, peer) = (pair.Watched, pair.Peer);
        using var watch = Loop.Watch(watched, writes: false);
        // 4 MiB sent while the owner reads nothing: the loop may hold only about its limit, the rest
        // stays in the kernel (the sender blocks), and nothing is lost or reordered.
        var data = new byte[4 << 20];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 7 + (i >> 12));
        var sending = Task.Run(() => peer.Send(data));
        await Task.Delay(500);
        Assert.False(sending.IsCompleted, "the whole 4 MiB was taken in with nobody reading");
        int held = watch.QueuedBytes;
        Console.WriteLine($"held while paused: {held} bytes");
        // The limit, plus what the kernel received in the batch that crossed it (up to 32 buffers a run) before the pause took.
        Assert.InRange(held, SocketWatch.ReceiveQueueLimit, SocketWatch.ReceiveQueueLimit + 64 * Loop.Uring!.BufferSize);

        var received = new byte[data.Length];
        int total = 0;
        var chunk = new byte[1000]; // reads smaller than a buffer take one in parts
        while (total < data.Length)
        {
            int n = watch.Receive(chunk, out var status);
            if (status == SocketError.WouldBlock)
            {
                await watch.WaitReadableAsync().AsTask().WaitAsync(Timeout);
                continue;
            }
            Assert.Equal(SocketError.Success, status);
            Assert.NotEqual(0, n);
            chunk.AsSpan(0, n).CopyTo(received.AsSpan(total));
            total += n;
        }
        Assert.Equal(data.Length, await sending.WaitAsync(Timeout));
        Assert.True(data.AsSpan().SequenceEqual(received), "bytes were lost or reordered");
    }

    [Fact]
    public async Task DisposingAWatchWithAReceiveInFlight_LetsClosingTheSocketReachThePeer()
    {
        using var pair = new Pair();
        var (watched, peer) = (pair.Watched, pair.Peer);
        var watch = Loop.Watch(watched, writes: false);
        await Task.Delay(100); // the multishot receive is in flight and holds the socket
        watch.Dispose();
        watched.Dispose();
        peer.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        Assert.Equal(0, peer.Receive(new byte[8])); // the end of stream, not a timeout
    }

    [Fact]
    public void TheBackendIsIoUring() => Assert.Equal(EventLoopBackend.IoUring, Loop.Backend);
}

/// <summary>Behaviour both backends share.</summary>
public abstract class EventLoopTests : IDisposable
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly EventLoop _loop;

    protected EventLoopTests(EventLoopBackend backend) => _loop = new EventLoop("test event loop", backend);

    protected EventLoop Loop => _loop;

    public void Dispose()
    {
        _loop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A connected loopback pair: the socket the loop watches, and its peer (used blocking). Disposes both.</summary>
    protected sealed class Pair : IDisposable
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

    private static int ReceiveNow(SocketWatch watch, byte[] buffer, out SocketError status) => watch.Receive(buffer, out status);

    [Fact]
    public async Task WaitReadable_CompletesOnTheLoopThread_OnceThePeerSends()
    {
        using var pair = new Pair();
        var (watched, peer) = (pair.Watched, pair.Peer);
        using var watch = _loop.Watch(watched, writes: false);
        var buffer = new byte[64];
        ReceiveNow(watch, buffer, out var status);
        Assert.Equal(SocketError.WouldBlock, status);

        var wait = WaitThenReportThreadAsync(watch);
        Assert.False(wait.IsCompleted);
        peer.Send("hello"u8);
        Assert.True(await wait.WaitAsync(Timeout), "the continuation did not run on the loop's thread");
        Assert.Equal(5, ReceiveNow(watch, buffer, out status));
        Assert.Equal(SocketError.Success, status);
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
        Assert.Equal(5, ReceiveNow(watch, buffer, out _));

        // The socket is empty and no edge is pending: a wait stays pending until new data comes.
        ReceiveNow(watch, buffer, out var status);
        Assert.Equal(SocketError.WouldBlock, status);
        var wait = watch.WaitReadableAsync().AsTask();
        await Task.Delay(200);
        Assert.False(wait.IsCompleted, "a wait completed with no new data and no pending edge");
        peer.Send("late"u8);
        await wait.WaitAsync(Timeout);
        Assert.Equal(4, ReceiveNow(watch, buffer, out _));
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
        Assert.Equal(0, ReceiveNow(watch, new byte[8], out var status));
        Assert.Equal(SocketError.Success, status);
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
}
