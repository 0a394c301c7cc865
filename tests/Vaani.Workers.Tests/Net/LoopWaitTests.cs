using System.Threading.Tasks.Sources;
using Vaani.Workers.Net;

namespace Vaani.Workers.Tests.Net;

public sealed class LoopWaitTests
{
    /// <summary>A wait completed by hand, on the test's thread.</summary>
    private sealed class ManualWait : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core;

        public ValueTask Wait => new(this, _core.Version);
        public void Complete() => _core.SetResult(true);
        public void Fail(Exception error) => _core.SetException(error);
        public void GetResult(short token) => _core.GetResult(token);
        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);
        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }

    private ValueTask _pending;

    [Fact]
    public void Completed_WaitAlreadyDone_TrueAndNothingKept()
    {
        int runs = 0;
        Assert.True(LoopWait.Completed(ValueTask.CompletedTask, ref _pending, () => runs++));
        Assert.True(_pending.IsCompleted); // default: nothing kept
        Assert.Equal(0, runs);
    }

    [Fact]
    public void Completed_WaitAlreadyFailed_Throws()
    {
        Assert.Throws<IOException>(() => LoopWait.Completed(ValueTask.FromException(new IOException("gone")), ref _pending, () => { }));
    }

    [Fact]
    public void Completed_WaitPending_KeptAndContinuationRunsOnceWhereItCompletes()
    {
        var wait = new ManualWait();
        int runs = 0, thread = -1;
        Exception? observed = null;
        void Continue()
        {
            runs++;
            thread = Environment.CurrentManagedThreadId;
            try { LoopWait.Observe(ref _pending); }
            catch (Exception ex) { observed = ex; }
        }

        Assert.False(LoopWait.Completed(wait.Wait, ref _pending, Continue));
        Assert.False(_pending.IsCompleted);
        Assert.Equal(0, runs);

        wait.Fail(new IOException("reset"));

        Assert.Equal(1, runs);
        Assert.Equal(Environment.CurrentManagedThreadId, thread); // inline, on the completing thread
        Assert.IsType<IOException>(observed); // the continuation sees the wait's outcome
        Assert.True(_pending.IsCompleted); // and nothing stays kept
    }
}
