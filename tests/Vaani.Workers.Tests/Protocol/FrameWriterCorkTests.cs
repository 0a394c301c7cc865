using System.Net.Sockets;
using Vaani.Workers.Client;
using Vaani.Workers.Net;
using Vaani.Workers.Protocol;
using Vaani.Workers.Tests.Infrastructure;

namespace Vaani.Workers.Tests.Protocol;

/// <summary>
/// <see cref="FrameWriter.TryWriteNow"/> on an event loop's thread: frames written while the loop
/// handles one wake-up leave together once it has handled them all.
/// </summary>
public sealed class FrameWriterCorkTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("vaani-cork-").FullName;
    private readonly EventLoop _loop = new("cork test loop");
    private readonly Socket _trigger;     // watched by the loop: a byte sent to it wakes the loop
    private readonly Socket _triggerPeer;
    private readonly SocketWatch _triggerWatch;

    public FrameWriterCorkTests()
    {
        (_triggerPeer, _trigger) = UnixSocketPair.Connect(_dir);
        _triggerWatch = _loop.Watch(_trigger, writes: false);
    }

    public void Dispose()
    {
        _triggerWatch.Dispose();
        _loop.Dispose();
        _trigger.Dispose();
        _triggerPeer.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>
    /// Wakes the loop and calls <paramref name="body"/> on its thread, inside the handling of that
    /// wake-up: its code up to its first real wait runs before the loop's flushes.
    /// </summary>
    private async Task<T> OnLoopAsync<T>(Func<Task<T>> body)
    {
        // A wait may complete at once, off the loop, for an edge seen earlier: then wake the loop again.
        while (!_loop.IsOnLoop)
        {
            _trigger.Receive(new byte[16], SocketFlags.None, out _); // drain (watched sockets do not block)
            _triggerPeer.Send([1]);
            await _triggerWatch.WaitReadableAsync().ConfigureAwait(false);
        }
        Assert.Same(_loop, EventLoop.Current);
        return await body().ConfigureAwait(false);
    }

    /// <summary>A writer on a Unix socket (through the stream the gateway uses), and the peer it writes to.</summary>
    private (FrameWriter Writer, UnpolledSocketStream Stream, Socket Server) Connect(int? bufferBytes = null)
    {
        var (client, server) = UnixSocketPair.Connect(_dir, bufferBytes);
        var stream = new UnpolledSocketStream(client);
        return (new FrameWriter(stream, 16, () => new IOException("closed")), stream, server);
    }

    private static byte[] Payload(int i, int length)
    {
        var payload = new byte[length];
        BitConverter.TryWriteBytes(payload, i);
        payload[^1] = (byte)i;
        return payload;
    }

    private static async Task<List<Frame>> ReadFramesAsync(Socket server, int count)
    {
        using var peer = new NetworkStream(server, ownsSocket: false);
        var frames = new List<Frame>();
        while (frames.Count < count && await peer.ReadFrameAsync() is { } f)
            frames.Add(new Frame(f.Type, f.Channel, f.Payload.ToArray()));
        return frames;
    }

    [Fact]
    public async Task TryWriteNow_OnTheLoopThread_FramesLeaveOnceTheWakeUpIsHandled()
    {
        var (writer, stream, server) = Connect();
        using var _ = server;
        await using var __ = stream;

        var (accepted, availableBeforeFlush) = await OnLoopAsync(() =>
        {
            int accepted = 0;
            for (int i = 0; i < 5; i++)
                if (writer.TryWriteNow(FrameType.Audio, (uint)i + 1, Payload(i, 640))) accepted++;
            return Task.FromResult((accepted, server.Available));
        }).WaitAsync(Timeout);

        Assert.Equal(5, accepted);
        Assert.Equal(0, availableBeforeFlush); // still corked while the loop handled the wake-up
        var frames = await ReadFramesAsync(server, 5).WaitAsync(Timeout);
        Assert.Equal([1u, 2u, 3u, 4u, 5u], frames.Select(f => f.Channel));
        for (int i = 0; i < 5; i++)
            Assert.Equal(Payload(i, 640), frames[i].Payload.ToArray());
    }

    [Fact]
    public async Task TryWriteNow_OffEveryLoop_SendsAtOnce()
    {
        var (writer, stream, server) = Connect();
        using var _ = server;
        await using var __ = stream;

        Assert.True(writer.TryWriteNow(FrameType.Audio, 7, Payload(0, 640)));
        Assert.Equal(Frame.HeaderSize + 640, server.Available);
        var frame = Assert.Single(await ReadFramesAsync(server, 1).WaitAsync(Timeout));
        Assert.Equal((FrameType.Audio, 7u), (frame.Type, frame.Channel));
        Assert.Equal(Payload(0, 640), frame.Payload.ToArray());
    }

    [Fact]
    public async Task TryWriteNow_MoreThanACorkHolds_SendsTheFullCorkAndKeepsCorking()
    {
        var (writer, stream, server) = Connect();
        using var _ = server;
        await using var __ = stream;
        const int frames = 250, length = 640; // ~160 KiB: two full corks, and part of a third
        int perCork = FrameWriter.CorkBytes / (Frame.HeaderSize + length);

        var available = await OnLoopAsync(() =>
        {
            for (int i = 0; i < frames; i++)
                Assert.True(writer.TryWriteNow(FrameType.Audio, 1, Payload(i, length)));
            return Task.FromResult(server.Available);
        }).WaitAsync(Timeout);

        Assert.Equal(2 * perCork * (Frame.HeaderSize + length), available); // the two full corks went out; the rest waited for the flush
        var received = await ReadFramesAsync(server, frames).WaitAsync(Timeout);
        Assert.Equal(frames, received.Count);
        for (int i = 0; i < frames; i++)
            Assert.True(Payload(i, length).AsSpan().SequenceEqual(received[i].Payload.Span), $"frame {i} arrived as frame {BitConverter.ToInt32(received[i].Payload.Span)}");
    }

    /// <summary>
    /// Corked frames (on the loop), direct ones (off it, after a wait) and queued ones, mixed, towards
    /// a reader that keeps stalling, so corks find the socket full or partly full and the pump busy.
    /// Every frame must arrive whole and in the order it was handed over.
    /// </summary>
    [Fact]
    public async Task CorkedDirectAndQueuedFramesMixed_SlowReader_AllArriveWholeInOrder()
    {
        var (writer, stream, server) = Connect(bufferBytes: 8192);
        using var _ = server;
        await using var __ = stream;
        const int frames = 3_000;
        var reader = Task.Run(async () =>
        {
            using var peer = new NetworkStream(server, ownsSocket: false);
            var received = new List<byte[]>();
            while (received.Count < frames && await peer.ReadFrameAsync() is { } f)
            {
                received.Add(f.Payload.ToArray());
                if (received.Count % 200 == 0) await Task.Delay(20); // the socket fills up meanwhile
            }
            return received;
        });
        int corked = 0;
        var expected = new List<byte[]>();
        for (int batch = 0; batch < frames; batch += 10) // ten frames per wake-up
        {
            await OnLoopAsync(async () =>
            {
                for (int i = batch; i < batch + 10; i++)
                {
                    var payload = Payload(i, i % 97 == 0 ? FrameWriter.MaxDirectPayload + 1 : 640 + i % 7);
                    expected.Add(payload);
                    bool onLoop = _loop.IsOnLoop;
                    if (writer.TryWriteNow(FrameType.Audio, 1, payload)) { if (onLoop) corked++; }
                    else await writer.SendAsync(new Frame(FrameType.Audio, 1, payload.ToArray()), CancellationToken.None); // may leave the loop
                }
                return true;
            }).WaitAsync(Timeout);
        }
        var received = await reader.WaitAsync(Timeout);
        writer.Complete();
        await writer.Completion.WaitAsync(Timeout);

        Assert.Equal(frames, received.Count);
        for (int i = 0; i < frames; i++)
            Assert.True(expected[i].AsSpan().SequenceEqual(received[i]), $"frame {i} arrived as frame {BitConverter.ToInt32(received[i])}");
        Assert.InRange(corked, 1, frames - 1);
    }

    [Fact]
    public void FlushAfterEvents_OffTheLoopThread_Throws()
    {
        var writer = new FrameWriter(Stream.Null, 4, () => new IOException("closed"));
        Assert.Null(EventLoop.Current);
        Assert.Throws<InvalidOperationException>(() => _loop.FlushAfterEvents(writer));
        writer.Complete();
    }
}
