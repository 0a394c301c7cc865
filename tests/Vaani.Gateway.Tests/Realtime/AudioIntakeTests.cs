using Vaani.Audio;
using Vaani.Gateway.Realtime;
using Vaani.Testing;

namespace Vaani.Gateway.Tests.Realtime;

/// <summary><see cref="AudioIntake"/> on manual time: what a receive loop awaits after handing audio to its session.</summary>
public sealed class AudioIntakeTests
{
    private static readonly TimeSpan Burst = TimeSpan.FromSeconds(0.5);
    private static readonly AudioFormat Pcm16k = AudioFormat.Linear16(16000); // 32 bytes a millisecond
    private readonly FakeTimeProvider _time = new();

    private static int Bytes(double ms) => (int)(ms * 32);

    private bool Take(AudioIntake intake, ValueTask send, int bytes) => intake.Take(send, bytes, Pcm16k, _time.GetTimestamp());

    /// <summary>Asserts that catching up waits <paramref name="wait"/> of (manual) time: not done 1 ms before, done at it.</summary>
    private async Task CatchUpTakesAsync(AudioIntake intake, TimeSpan wait)
    {
        var catchUp = intake.CatchUpAsync(CancellationToken.None).AsTask();
        _time.Advance(wait - TimeSpan.FromMilliseconds(1));
        await Task.Delay(50);
        Assert.False(catchUp.IsCompleted, $"caught up before {wait.TotalMilliseconds} ms had passed");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await catchUp.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Take_CompletedSendWithinBurst_ReadsOnAtOnce()
    {
        var intake = new AudioIntake(Burst, _time);
        Assert.True(Take(intake, ValueTask.CompletedTask, Bytes(20)));
        Assert.True(Take(intake, ValueTask.CompletedTask, Bytes(480)));
        Assert.False(intake.Behind);
    }

    [Fact]
    public async Task Take_SendNotComplete_CatchUpWaitsForIt()
    {
        var intake = new AudioIntake(Burst, _time);
        var send = new TaskCompletionSource();
        Assert.False(Take(intake, new ValueTask(send.Task), Bytes(20)));
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
        var intake = new AudioIntake(Burst, _time);
        // 1.2 s of audio at once: 0.7 s ahead of real time beyond the 0.5 s burst.
        Assert.False(Take(intake, ValueTask.CompletedTask, Bytes(1200)));
        await CatchUpTakesAsync(intake, TimeSpan.FromSeconds(0.7));
        // The client now sits at the burst's edge: more audio before time passes waits again,
        // and once it has fallen back within the burst, audio goes on at once.
        Assert.False(Take(intake, ValueTask.CompletedTask, Bytes(20)));
        var again = intake.CatchUpAsync(CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromSeconds(1));
        await again.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(Take(intake, ValueTask.CompletedTask, Bytes(20)));
    }

    [Fact]
    public async Task Take_MessagesSplittingFrames_CountEveryWholeFrameOnce()
    {
        // 0.5 s of 16-bit audio (16,000 bytes) in messages of 3 bytes: each message ends inside a
        // sample, and the byte left over counts with the next one. Dropping it would count only a
        // third of the audio; counting it twice, more than there is.
        var intake = new AudioIntake(Burst, _time);
        for (int sent = 0; sent < 16_000; sent += 3)
            Assert.True(Take(intake, ValueTask.CompletedTask, Math.Min(3, 16_000 - sent)));
        // Exactly at the burst: 20 ms more is 20 ms too early.
        Assert.False(Take(intake, ValueTask.CompletedTask, Bytes(20)));
        await CatchUpTakesAsync(intake, TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public async Task CatchUp_SendFailed_Throws()
    {
        var intake = new AudioIntake(Burst, _time);
        Assert.False(Take(intake, ValueTask.FromException(new InvalidOperationException("session failed")), Bytes(20)));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => intake.CatchUpAsync(CancellationToken.None).AsTask());
        Assert.Equal("session failed", ex.Message);
    }

    [Theory]
    [InlineData(3)]   // messages ending inside a sample
    [InlineData(640)] // 20 ms frames
    public async Task Take_BoundToItsFormat_CountsAsThePerMessageForm(int chunk)
    {
        // The same 0.5 s as above through an intake made for the format: exactly at the burst, then
        // 20 ms more is 20 ms too early.
        var intake = new AudioIntake(Burst, _time, Pcm16k);
        for (int sent = 0; sent < 16_000; sent += chunk)
            Assert.True(intake.Take(ValueTask.CompletedTask, Math.Min(chunk, 16_000 - sent), _time.GetTimestamp()));
        Assert.False(intake.Take(ValueTask.CompletedTask, Bytes(20), _time.GetTimestamp()));
        await CatchUpTakesAsync(intake, TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public void Take_BoundFormWithoutAFormat_Throws()
    {
        var intake = new AudioIntake(Burst, _time);
        Assert.Throws<InvalidOperationException>(() => intake.Take(ValueTask.CompletedTask, 640, _time.GetTimestamp()));
        Assert.Throws<ArgumentException>(() => new AudioIntake(Burst, _time, new AudioFormat(AudioEncoding.Opus, 48000, 1)));
    }
}
