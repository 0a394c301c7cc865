using Vaani.Gateway.Realtime;
using Vaani.Testing;

namespace Vaani.Gateway.Tests.Realtime;

/// <summary><see cref="AudioIntake"/> on manual time: what a receive loop awaits after handing audio to its session.</summary>
public sealed class AudioIntakeTests
{
    private static readonly TimeSpan Burst = TimeSpan.FromSeconds(0.5);

    [Fact]
    public void Take_CompletedSendWithinBurst_ReadsOnAtOnce()
    {
        var intake = new AudioIntake(Burst, new FakeTimeProvider());
        Assert.True(intake.Take(ValueTask.CompletedTask, TimeSpan.FromMilliseconds(20)));
        Assert.True(intake.Take(ValueTask.CompletedTask, TimeSpan.FromMilliseconds(480)));
        Assert.False(intake.Behind);
    }

    [Fact]
    public async Task Take_SendNotComplete_CatchUpWaitsForIt()
    {
        var intake = new AudioIntake(Burst, new FakeTimeProvider());
        var send = new TaskCompletionSource();
        Assert.False(intake.Take(new ValueTask(send.Task), TimeSpan.FromMilliseconds(20)));
        Assert.True(intake.Behind);

        var catchUp = intake.CatchUpAsync(CancellationToken.None).AsTask();
        Assert.False(intake.Behind);
        await Task.Delay(50);
        Assert.False(catchUp.IsCompleted);
        send.SetResult();
        await catchUp.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Take_ClientAheadOfRealTime_CatchUpWaitsOutTheExcessOverTheBurst()
    {
        var time = new FakeTimeProvider();
        var intake = new AudioIntake(Burst, time);
        // 1.2 s of audio at once: 0.7 s ahead of real time beyond the 0.5 s burst.
        Assert.False(intake.Take(ValueTask.CompletedTask, TimeSpan.FromSeconds(1.2)));
        var catchUp = intake.CatchUpAsync(CancellationToken.None).AsTask();
        time.Advance(TimeSpan.FromSeconds(0.6));
        await Task.Delay(50);
        Assert.False(catchUp.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1));
        await catchUp.WaitAsync(TimeSpan.FromSeconds(10));
        // The client now sits at the burst's edge: more audio before time passes waits again,
        // and once it has fallen back within the burst, audio goes on at once.
        Assert.False(intake.Take(ValueTask.CompletedTask, TimeSpan.FromMilliseconds(20)));
        var again = intake.CatchUpAsync(CancellationToken.None).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));
        await again.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(intake.Take(ValueTask.CompletedTask, TimeSpan.FromMilliseconds(20)));
    }

    [Fact]
    public async Task CatchUp_SendFailed_Throws()
    {
        var intake = new AudioIntake(Burst, new FakeTimeProvider());
        Assert.False(intake.Take(ValueTask.FromException(new InvalidOperationException("session failed")), TimeSpan.FromMilliseconds(20)));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => intake.CatchUpAsync(CancellationToken.None).AsTask());
        Assert.Equal("session failed", ex.Message);
    }
}
