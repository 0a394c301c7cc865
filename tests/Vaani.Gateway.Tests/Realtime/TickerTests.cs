using Vaani.Gateway.Realtime;
using Vaani.Gateway.Tests.Infrastructure;
using Vaani.Gateway.Transport;
using Vaani.Testing;
using Vaani.Workers.Net;

namespace Vaani.Gateway.Tests.Realtime;

public sealed class TickerTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Register_EachPeriod_RunsEveryCheckOnceWithTheTickTimestamp()
    {
        using var ticker = new Ticker(Second, _time);
        var a = new List<long>();
        var b = new List<long>();
        using var ra = ticker.Register(a.Add);
        using var rb = ticker.Register(b.Add);

        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Empty(a);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([_time.GetTimestamp()], a);
        _time.Advance(3 * Second);
        Assert.Equal(4, a.Count);
        Assert.Equal(a, b);
        Assert.Equal(3 * Second, _time.GetElapsedTime(a[0], a[^1]));
    }

    [Fact]
    public void Dispose_Registration_StopsOnlyThatCheck()
    {
        using var ticker = new Ticker(Second, _time);
        int a = 0, b = 0;
        var ra = ticker.Register(_ => a++);
        using var rb = ticker.Register(_ => b++);
        _time.Advance(Second);
        ra.Dispose();
        ra.Dispose(); // twice is harmless
        _time.Advance(2 * Second);

        Assert.Equal(1, a);
        Assert.Equal(3, b);
        Assert.Equal(1, ticker.Count);
    }

    [Fact]
    public void Tick_WithNoChecks_StopsTheTimerAndTheNextRegistrationStartsItAfresh()
    {
        using var ticker = new Ticker(Second, _time);
        ticker.Register(_ => { }).Dispose();
        _time.Advance(TimeSpan.FromMilliseconds(1500)); // the tick at 1 s finds nothing and stops

        int runs = 0;
        using var r = ticker.Register(_ => runs++);
        // A stopped timer is armed one period from the registration (2.5 s), not on the old beat (2 s).
        _time.Advance(TimeSpan.FromMilliseconds(600));
        Assert.Equal(0, runs);
        _time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.Equal(1, runs);
    }

    [Fact]
    public void Check_RegistersAndRemovesDuringATick_NoDeadlockAndTheChangeHoldsFromThatTick()
    {
        using var ticker = new Ticker(Second, _time);
        int added = 0, later = 0, self = 0;
        IDisposable? laterRegistration = null;
        IDisposable? selfRegistration = null;
        using var adder = ticker.Register(_ =>
        {
            if (added++ == 0) ticker.Register(_ => { }); // a check that adds another
            laterRegistration?.Dispose();               // and removes one not yet run in this tick
        });
        laterRegistration = ticker.Register(_ => later++);
        selfRegistration = ticker.Register(_ => { self++; selfRegistration!.Dispose(); });

        _time.Advance(Second);
        _time.Advance(Second);

        Assert.Equal(2, added);
        Assert.Equal(0, later); // removed by the first check before its turn
        Assert.Equal(1, self);
        Assert.Equal(2, ticker.Count); // the adder and the check it added
    }

    [Fact]
    public void Register_AfterDispose_Throws()
    {
        var ticker = new Ticker(Second, _time);
        ticker.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ticker.Register(_ => { }));
    }

    /// <summary>A direct WebSocket's keepalive pongs are timed by the ticker: one per interval, rounded up to whole ticks.</summary>
    [Fact]
    public async Task DirectWebSocket_KeepAliveInterval_SendsAnUnsolicitedPongEveryIntervalOnTheTicker()
    {
        using var ticker = new Ticker(Second, _time);
        using var pair = await LoopbackTcpPair.ConnectAsync();
        using var socket = new DirectWebSocket(EventLoop.Shared(1)!.Watch(pair.Server.Client, writes: true), null, TimeSpan.FromMilliseconds(1500), ticker);
        var peer = pair.Client;
        var stream = peer.GetStream();

        _time.Advance(2 * Second);
        var pong = new byte[2];
        await stream.ReadExactlyAsync(pong).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new byte[] { 0x8A, 0 }, pong);
        // The ticks run on this thread and a pong is sent before its tick returns: one pong in
        // two ticks, because 1.5 s rounds up to two.
        Assert.Equal(0, peer.Available);
        _time.Advance(2 * Second);
        await stream.ReadExactlyAsync(pong).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, peer.Available);

        socket.Abort(); // ends its keepalives
        Assert.Equal(0, ticker.Count);
    }
}
