namespace Vaani.Workers.Net;

/// <summary>
/// Waits of a loop method: a plain method that reads until a socket has nothing more, then has
/// itself run again when the socket is ready, instead of being an <c>async</c> method. Nothing is
/// allocated and no execution context is captured or restored per wait; the continuation runs on
/// the thread that completes the wait (the event loop's).
/// </summary>
public static class LoopWait
{
    /// <summary>
    /// True when <paramref name="wait"/> is already complete (its outcome is observed here: the
    /// caller goes on at once). False when it is pending: it is kept in <paramref name="pending"/>
    /// and <paramref name="continuation"/> runs once it completes; the caller returns, and the
    /// continuation starts with <see cref="Observe"/>.
    /// </summary>
    public static bool Completed(ValueTask wait, ref ValueTask pending, Action continuation)
    {
        if (wait.IsCompleted)
        {
            wait.GetAwaiter().GetResult();
            return true;
        }
        pending = wait; // before the continuation is registered: it may run at once, and reads it
        wait.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(continuation);
        return false;
    }

    /// <summary>Observes the outcome of the wait kept in <paramref name="pending"/> (throws its failure) and clears it; none kept: nothing happens.</summary>
    public static void Observe(ref ValueTask pending)
    {
        var done = pending;
        pending = default;
        done.GetAwaiter().GetResult();
    }
}
