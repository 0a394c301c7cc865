using System.Collections.Concurrent;

namespace Vaani.Workers.Tests.Infrastructure;

/// <summary>
/// A synchronization context with exactly one thread, like a UI thread or a test framework's
/// limited-concurrency context: whatever is posted to it waits while that thread is busy.
/// </summary>
internal sealed class SingleThreadContext : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = new(boundedCapacity: 10_000);
    private readonly Thread _thread;

    public SingleThreadContext()
    {
        _thread = new Thread(() =>
        {
            SetSynchronizationContext(this);
            foreach (var (callback, state) in _queue.GetConsumingEnumerable())
                callback(state);
        }) { IsBackground = true, Name = "single-thread context" };
        _thread.Start();
    }

    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Runs <paramref name="work"/> on the context's thread; its awaits come back to that thread.</summary>
    public Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(async _ =>
        {
            try { done.SetResult(await work()); }
            catch (Exception ex) { done.SetException(ex); }
        }, null);
        return done.Task;
    }

    /// <summary>Occupies the context's thread for <paramref name="duration"/>.</summary>
    public Task BlockAsync(TimeSpan duration) => RunAsync(() =>
    {
        Thread.Sleep(duration);
        return Task.FromResult(true);
    });

    public void Dispose() => _queue.CompleteAdding();
}
