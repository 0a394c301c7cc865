using Vaani.Workers.Net;

namespace Vaani.Testing;

/// <summary>
/// Holds an <see cref="EventLoop"/>'s thread, as other sockets' work holds a busy loop, until
/// disposed: socket events that arrive meanwhile reach the loop together, in one wake-up (and one
/// edge per socket). The constructor returns once the loop is held.
/// </summary>
internal sealed class LoopHold : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly ManualResetEventSlim _held = new();
    private readonly ManualResetEventSlim _release = new();
    private readonly ITimer _timer;

    public LoopHold(EventLoop loop)
    {
        _timer = loop.CreateTimer(_ => { _held.Set(); _release.Wait(Limit); }, null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        if (!_held.Wait(Limit)) throw new TimeoutException("the event loop did not run the holding timer");
    }

    public void Dispose()
    {
        _release.Set();
        _timer.Dispose();
    }
}
