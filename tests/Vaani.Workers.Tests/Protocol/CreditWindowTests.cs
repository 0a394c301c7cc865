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
