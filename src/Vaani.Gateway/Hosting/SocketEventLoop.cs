namespace Vaani.Gateway.Hosting;

/// <summary>
/// How the gateway process runs socket completions. By default .NET hands every completed socket
/// read or write from its epoll thread to a thread-pool thread, and the pool wakes a second thread
/// for each item it takes; for a real-time relay (a 20 ms audio frame in, a frame out to the
/// worker) those thread wake-ups cost several times the work itself. With inline completions the
/// epoll threads run the continuation directly, as an event loop does.
/// </summary>
/// <remarks>
/// The price is that code continuing after a socket await must not block or run long, or other
/// connections on that epoll thread wait. The gateway's data plane is written that way (async
/// throughout, short per-message work); plain HTTP requests leave the epoll thread before their
/// handler runs (<see cref="LeaveEventLoopMiddleware"/>, also in front of the in-process admin API),
/// snapshot loads are queued to the thread pool, and worker processes, which run engines, keep the
/// default (<see cref="WorkerValue"/>).
/// </remarks>
public static class SocketEventLoop
{
    /// <summary>The runtime's switch, read once when the process first uses a socket.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>The runtime's epoll thread count, read once when the process first uses a socket.</summary>
    public const string ThreadCountVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>The value worker processes get: completions on the thread pool.</summary>
    public const string WorkerValue = "0";

    /// <summary>Cores per epoll thread when completions run inline.</summary>
    public const int CoresPerLoop = 4;

    /// <summary>
    /// Epoll threads for <paramref name="processorCount"/> cores: one per <see cref="CoresPerLoop"/>
    /// cores, at least one. The runtime's own default with inline completions is one per core, but a
    /// gateway relays a frame in tens of microseconds, so one loop carries thousands of real-time
    /// streams, and every further loop costs wake-ups: two loops on two cores each sleep and wake
    /// for half the traffic (docs/benchmarks.md, "Event-loop relay").
    /// </summary>
    public static int LoopCount(int processorCount) => Math.Max(1, processorCount / CoresPerLoop);

    /// <summary>
    /// Turns inline completions on for this process unless the operator set <see cref="Variable"/>
    /// (any value, e.g. <c>0</c> to opt out), and sizes the epoll threads
    /// (<see cref="LoopCount"/>) unless the operator set <see cref="ThreadCountVariable"/>. Must run
    /// before the process's first socket operation.
    /// </summary>
    /// <returns>True when this call turned inline completions on.</returns>
    public static bool EnableUnlessConfigured()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not null)
            return false;
        Environment.SetEnvironmentVariable(Variable, "1");
        if (Environment.GetEnvironmentVariable(ThreadCountVariable) is null)
        {
            Environment.SetEnvironmentVariable(ThreadCountVariable, LoopCount(Environment.ProcessorCount).ToString(System.Globalization.CultureInfo.InvariantCulture));
            s_sizedHere = true;
        }
        return true;
    }

    private static bool s_sizedHere;

    /// <summary>
    /// What worker processes started by this one get: completions on the thread pool
    /// (<see cref="WorkerValue"/>), and the runtime's own epoll thread count for that mode unless the
    /// operator chose one (see <see cref="WorkerEnvironment(bool)"/>).
    /// </summary>
    public static IReadOnlyDictionary<string, string> WorkerEnvironment() => WorkerEnvironment(s_sizedHere);

    /// <summary>
    /// The worker environment when this process did (<paramref name="sizedHere"/>) or did not size
    /// its own event loop. A count this process chose for inline completions is blanked, which the
    /// runtime reads as unset: with thread-pool completions its default is about one epoll thread per
    /// 30 cores, fewer than one per 4 from 8 cores up. A count the operator set is inherited as set.
    /// </summary>
    public static IReadOnlyDictionary<string, string> WorkerEnvironment(bool sizedHere) => sizedHere
        ? new Dictionary<string, string> { [Variable] = WorkerValue, [ThreadCountVariable] = "" }
        : new Dictionary<string, string> { [Variable] = WorkerValue };

    /// <summary>True when this process runs socket completions inline (as configured at start).</summary>
    public static bool IsEnabled => Environment.GetEnvironmentVariable(Variable) == "1";
}
