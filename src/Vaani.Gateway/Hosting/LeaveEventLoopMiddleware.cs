using Microsoft.AspNetCore.Http;

namespace Vaani.Gateway.Hosting;

/// <summary>
/// Runs plain HTTP requests (batch transcription, synthesis, listings, health) on the thread pool,
/// away from the socket event loop. With inline socket completions (<see cref="SocketEventLoop"/>)
/// a request starts on the epoll thread that read it, and every await inside it would resume on
/// whichever thread completed the awaited operation — that epoll thread, or a worker connection's
/// reader. A batch transcript being formatted there would stall every stream that thread serves.
/// This middleware moves the request to the pool and gives it a context that brings each of its
/// continuations back to the pool. WebSocket requests are left where they are: their per-frame
/// relay is the short, non-blocking work the event loop is for.
/// </summary>
/// <remarks>
/// Handler code behind it awaits without <c>ConfigureAwait(false)</c>: that is what lets each of its
/// continuations find the context again. Library code it calls may use <c>ConfigureAwait(false)</c>
/// for its own short steps; the handler resumes on the pool when the library returns.
/// </remarks>
public sealed class LeaveEventLoopMiddleware(RequestDelegate next)
{
    /// <summary>Runs the rest of the pipeline, on the pool unless the request is a WebSocket.</summary>
    public Task InvokeAsync(HttpContext context) =>
        context.WebSockets.IsWebSocketRequest || SynchronizationContext.Current is ThreadPoolContext
            ? next(context)
            : OnThreadPoolAsync(context);

    private async Task OnThreadPoolAsync(HttpContext context)
    {
        // Installed on this thread only until this method first returns: the async method builder
        // restores the caller's context then. The continuation below runs under it on the pool.
        SynchronizationContext.SetSynchronizationContext(ThreadPoolContext.Instance);
        await Task.Yield();
        await next(context);
    }

    /// <summary>
    /// Posts every continuation to the thread pool and installs itself while the continuation runs,
    /// so the request's next await captures it again.
    /// </summary>
    internal sealed class ThreadPoolContext : SynchronizationContext
    {
        public static readonly ThreadPoolContext Instance = new();

        public override void Post(SendOrPostCallback d, object? state) =>
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Context.Run(s.Callback, s.State), (Context: this, Callback: d, State: state), preferLocal: false);

        public override SynchronizationContext CreateCopy() => this;

        private void Run(SendOrPostCallback callback, object? state)
        {
            var previous = Current;
            SetSynchronizationContext(this);
            try { callback(state); }
            finally { SetSynchronizationContext(previous); }
        }
    }
}
