namespace Vaani.Gateway.Admission;

/// <summary>Runs a usage-recording action exactly once when a request ends, however it ends.</summary>
internal sealed class UsageOnExit(Action record) : IDisposable
{
    private int _done;
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0) record();
    }
}
