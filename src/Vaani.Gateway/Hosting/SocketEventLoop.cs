namespace Vaani.Gateway.Hosting;

/// <summary>
/// How the gateway process runs socket completions. By default .NET hands every completed socket
/// read or write from its epoll thread to a thread-pool thread, and the pool wakes a second thread
/// for each item it takes; for a real-time relay (a 20 ms audio frame in, a frame out to the
/// worker) those thread wake-ups cost several times the work itself. With inline completions the
/// epoll threads (one per core) run the continuation directly, as an event loop does.
/// </summary>
/// <remarks>
/// The price is that code continuing after a socket await must not block or run long, or other
/// connections on that epoll thread wait. The gateway's data plane is written that way (async
/// throughout, short per-message work); the in-process control plane's HTTP handlers still run on
/// the thread pool (their Kestrel host keeps its default scheduling), and worker processes, which
/// run engines, keep the default (<see cref="WorkerValue"/>).
/// </remarks>
public static class SocketEventLoop
{
    /// <summary>The runtime's switch, read once when the process first uses a socket.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>The value worker processes get: completions on the thread pool.</summary>
    public const string WorkerValue = "0";

    /// <summary>
    /// Turns inline completions on for this process unless the operator set <see cref="Variable"/>
    /// (any value, e.g. <c>0</c> to opt out). Must run before the process's first socket operation.
    /// </summary>
    /// <returns>True when this call turned them on.</returns>
    public static bool EnableUnlessConfigured()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not null)
            return false;
        Environment.SetEnvironmentVariable(Variable, "1");
        return true;
    }

    /// <summary>True when this process runs socket completions inline (as configured at start).</summary>
    public static bool IsEnabled => Environment.GetEnvironmentVariable(Variable) == "1";
}
