using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;
using Vaani.Engines.Passthrough;
using Vaani.Testing;
using Vaani.Workers.Client;
using Vaani.Workers.Protocol;
using Vaani.Workers.Tests.Infrastructure;

namespace Vaani.Workers.Tests.Client;

/// <summary>
/// The connection's heartbeat on manual time, against a peer speaking the real framing over a real
/// Unix socket that records every frame the gateway sends.
/// </summary>
public sealed class WorkerHeartbeatTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("vaani-heartbeat-").FullName;
    private readonly FakeTimeProvider _time = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Heartbeat_FrameReceivedWithinTheInterval_NoPing_SilentInterval_Ping()
    {
        var path = Path.Combine(_dir, "w.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var accepting = listener.AcceptAsync();
        var options = new WorkerConnectionOptions { PingInterval = Interval, LivenessTimeout = TimeSpan.FromSeconds(5), TimeProvider = _time };
        var connecting = WorkerConnection.ConnectAsync(path, options, CancellationToken.None);
        using var peer = await accepting.WaitAsync(Wait);
        await using var stream = new NetworkStream(peer, ownsSocket: false);
        var hello = new HelloMessage(HelloMessage.CurrentProtocol, "scripted", Environment.ProcessId,
            new PassthroughSttEngine().Capabilities, null, Capacity: 4, AudioWindow: 64 * 1024);
        await FrameCodec.WriteAsync(stream, Frames.Json(FrameType.Hello, 0, hello), CancellationToken.None);
        await using var connection = await connecting.WaitAsync(Wait);
        var received = Channel.CreateUnbounded<Frame>();
        var reading = Task.Run(async () =>
        {
            try { while (await stream.ReadFrameAsync() is { } f) received.Writer.TryWrite(f); }
            catch (IOException) { }
            received.Writer.TryComplete();
        });

        // Silent for an interval: pinged.
        await _time.WaitForTimerAsync(Interval);
        _time.Advance(Interval);
        var first = await received.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(FrameType.Ping, first.Type);
        Assert.Equal(1, BinaryPrimitives.ReadInt64LittleEndian(first.Payload.Span));

        // A frame half an interval later shows the worker alive at the next tick: no ping then.
        _time.Advance(Interval / 2);
        await FrameCodec.WriteAsync(stream, Frames.Json(FrameType.CapacityReport, 0, new CapacityMessage(1, 4)), CancellationToken.None);
        await WaitUntilAsync(() => connection.Capacity.Active == 1);
        _time.Advance(Interval / 2);
        connection.SendCancel(99); // a marker: frames leave in order, so a ping from that tick would come first
        var next = await received.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(FrameType.Cancel, next.Type);

        // Silent again for a whole interval: pinged again.
        _time.Advance(Interval);
        var second = await received.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(FrameType.Ping, second.Type);
        Assert.Equal(2, BinaryPrimitives.ReadInt64LittleEndian(second.Payload.Span));

        await connection.DisposeAsync();
        await reading.WaitAsync(Wait);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(Wait);
        while (!condition())
            await Task.Delay(5, deadline.Token);
    }
}
