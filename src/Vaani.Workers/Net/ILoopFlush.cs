namespace Vaani.Workers.Net;

/// <summary>
/// Work an <see cref="EventLoop"/> runs on its thread once it has handled every event of one
/// wake-up, before it waits again (<see cref="EventLoop.FlushAfterEvents"/>). It must not throw.
/// </summary>
public interface ILoopFlush
{
    void Flush();
}
