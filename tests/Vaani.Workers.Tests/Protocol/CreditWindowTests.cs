using Vaani.Engines;
using Vaani.Workers.Protocol;

namespace Vaani.Workers.Tests.Protocol;

public sealed class CreditWindowTests
{
    [Fact]
    public async Task TakeAsync_WindowExhausted_WaitsUntilCreditReturns()
    {
        var window = new CreditWindow(100);
        await window.TakeAsync(100, CancellationToken.None);

        var waiting = window.TakeAsync(50, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(100, window.InFlight);

        Assert.True(window.Release(40));
        Assert.False(waiting.IsCompleted); // 40 free, 50 wanted
        Assert.True(window.Release(10));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(100, window.InFlight);
    }

    [Fact]
    public async Task TryTakeAndRelease_FromManyThreadsAtOnce_NeitherLoseNorInventCredit()
    {
        // Takes and releases race without the lock: each must be atomic, or credit is lost or made up.
        const int window = 64;
        var credit = new CreditWindow(window);
        using var start = new Barrier(4);
        long taken = 0, overdrawn = 0;
        var threads = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < 100_000; i++)
            {
                if (!credit.TryTake(3, out bool _)) continue;
                Interlocked.Increment(ref taken);
                if (credit.InFlight > window) Interlocked.Increment(ref overdrawn);
                Assert.True(credit.Release(3));
            }
        })).ToArray();
        await Task.WhenAll(threads).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(taken > 0);
        Assert.Equal(0, overdrawn);
        Assert.Equal(0, credit.InFlight);
    }

    [Fact]
    public async Task TakeAsync_WaitingWhileCreditReturnsFromAnotherThread_IsWokenEveryTime()
    {
        // A waiter that registers just as credit comes back must still be woken (no lost wake-up).
        var credit = new CreditWindow(10);
        for (int i = 0; i < 2_000; i++)
        {
            await credit.TakeAsync(10, CancellationToken.None);
            var releaser = Task.Run(() => credit.Release(10));
            await credit.TakeAsync(10, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            await releaser;
            Assert.True(credit.Release(10));
        }
        Assert.Equal(0, credit.InFlight);
    }

    [Fact]
    public void Release_MoreThanSent_ReturnsFalse()
    {
        var window = new CreditWindow(100);
        Assert.False(window.Release(1));
    }

    [Fact]
    public async Task Fault_WhileWaiting_WaiterThrowsTheFault()
    {
        var window = new CreditWindow(10);
        await window.TakeAsync(10, CancellationToken.None);
        var waiting = window.TakeAsync(1, CancellationToken.None).AsTask();

        window.Fault(new EngineException("worker_lost", "gone", isPermanent: false));

        var ex = await Assert.ThrowsAsync<EngineException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("worker_lost", ex.Code);
    }
}
