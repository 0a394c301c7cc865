namespace Vaani.Gateway.Admission;

/// <summary>Runs a usage-recording action exactly once when a request ends, however it ends.</summary>
internal sealed class UsageOnExit(Func<ValueTask> record) : IAsyncDisposable
{
    private int _done;
    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _done, 1) == 0 ? record() : ValueTask.CompletedTask;
}
