using Microsoft.AspNetCore.Http;

namespace Vaani.Gateway.Admission;

/// <summary>What a request is about to use; decides the scope, quotas and slots it needs.</summary>
public enum SessionKind
{
    /// <summary>A streaming STT WebSocket.</summary>
    SttStream,
    /// <summary>A batch STT request.</summary>
    SttBatch,
    /// <summary>A TTS WebSocket (multi-context).</summary>
    TtsStream,
    /// <summary>A single TTS request (HTTP or SSE).</summary>
    TtsRequest,
}

/// <summary>
/// The edge check every data-plane endpoint (native and compatible APIs) runs before it does any
/// work: authentication, tenant limits, and pool admission — all against in-memory state, never a
/// control-store round trip. It returns a ticket that holds the slots and records usage.
/// </summary>
public interface ISessionGuard
{
    /// <summary>Admits the request or says why not (status, code, message, Retry-After).</summary>
    ValueTask<GuardResult> AdmitAsync(HttpContext context, SessionKind kind, string pool, int poolCapacity);
}

/// <summary>An admitted request: holds its slots until disposed; usage is recorded through it.</summary>
public interface ISessionTicket : IDisposable
{
    /// <summary>The tenant the request runs for (<c>default</c> without a control plane).</summary>
    string Tenant { get; }
    /// <summary>The key id that authenticated it, if any.</summary>
    string? KeyId { get; }
    /// <summary>Records usage for billing/quotas (durably, when a control plane is configured).</summary>
    void RecordUsage(double audioSeconds, long characters, string model);

    /// <summary>
    /// <see cref="RecordUsage"/> without blocking an event-loop thread: durable recording waits for
    /// an fsync, so off the thread pool (e.g. on a socket epoll thread running completions inline,
    /// see <c>SocketEventLoop</c>) it runs on a pool thread while the caller awaits it.
    /// </summary>
    ValueTask RecordUsageAsync(double audioSeconds, long characters, string model) =>
        OffEventLoop(() => RecordUsage(audioSeconds, characters, model));

    /// <summary>Runs blocking work at once on a pool thread; from any other thread (an epoll or reader thread) on a pool thread while the caller awaits.</summary>
    internal static ValueTask OffEventLoop(Action blocking)
    {
        if (Thread.CurrentThread.IsThreadPoolThread)
        {
            blocking();
            return ValueTask.CompletedTask;
        }
        return new ValueTask(Task.Run(blocking));
    }
}

/// <summary>Outcome of <see cref="ISessionGuard.AdmitAsync"/>.</summary>
public sealed record GuardResult(ISessionTicket? Ticket, int Status, string? Code, string? Message, TimeSpan? RetryAfter)
{
    public bool IsAdmitted => Ticket is not null;
    public static GuardResult Admit(ISessionTicket ticket) => new(ticket, 200, null, null, null);
    public static GuardResult Refuse(int status, string code, string message, TimeSpan? retryAfter = null) => new(null, status, code, message, retryAfter);

    /// <summary>The refusal as an HTTP response in the native error shape.</summary>
    public IResult ToResult() => Http.ApiErrors.Error(Status, Code!, Message!, RetryAfter);
}
