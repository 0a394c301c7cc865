using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vaani.Gateway.Realtime;

namespace Vaani.Gateway.Compat.Deepgram;

/// <summary>
/// Runs <c>callback=</c> jobs in the background and delivers each result to its callback URL:
/// retried on timeouts, connection errors, 408/429/5xx with exponential backoff and full jitter,
/// at most <see cref="CompatOptions.CallbackAttempts"/> times and within
/// <see cref="CompatOptions.CallbackDeadline"/>. Deliveries carry <c>dg-request-id</c> and an
/// idempotency key (the request id) so a receiver can drop duplicates.
/// </summary>
internal sealed class DeepgramCallbacks(CompatOptions options, RemoteHttp http, IHostApplicationLifetime lifetime, ILogger<DeepgramCallbacks> log, TimeProvider time)
{
    private int _pending;

    /// <summary>Starts a job; false when <see cref="CompatOptions.MaxPendingCallbacks"/> are already running.</summary>
    public bool TryStart(DeepgramListenHttp.Job job, Uri callback, Func<DeepgramListenHttp.Job, CancellationToken, Task<(int Status, object Result)>> run)
    {
        if (Interlocked.Increment(ref _pending) > options.MaxPendingCallbacks)
        {
            Interlocked.Decrement(ref _pending);
            return false;
        }
        _ = Task.Run(async () =>
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
            deadline.CancelAfter(options.CallbackDeadline);
            try
            {
                var (status, result) = await run(job, deadline.Token);
                object body = status == 200 ? result : new { err_code = ((DeepgramListenHttp.Error)result).Code, err_msg = ((DeepgramListenHttp.Error)result).Message, request_id = job.RequestId };
                await DeliverAsync(new HttpMethod(job.Options.CallbackMethod), callback, job.RequestId, JsonSerializer.Serialize(body, GatewayJson.Options), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                log.LogWarning("callback {RequestId}: gave up at the deadline or on shutdown", job.RequestId);
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "callback {RequestId}: failed", job.RequestId);
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        });
        return true;
    }

    private async Task DeliverAsync(HttpMethod method, Uri callback, string requestId, string json, CancellationToken ct)
    {
        var headers = new Dictionary<string, string> { ["dg-request-id"] = requestId, ["Idempotency-Key"] = requestId };
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await http.SendJsonAsync(method, callback, json, headers, ct);
                return;
            }
            catch (FetchException ex) when (!ex.IsPermanent && attempt < options.CallbackAttempts)
            {
                // Full jitter: a random delay up to base × 2^(attempt-1), so receivers recovering
                // from an outage are not hit by synchronized retries.
                var cap = options.CallbackBackoff.TotalMilliseconds * Math.Pow(2, attempt - 1);
                var delay = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * cap);
                log.LogInformation("callback {RequestId}: attempt {Attempt} failed ({Reason}); retrying in {Delay} ms", requestId, attempt, ex.Message, (int)delay.TotalMilliseconds);
                await Task.Delay(delay, time, ct);
            }
            catch (FetchException ex)
            {
                log.LogWarning("callback {RequestId}: not delivered after {Attempt} attempt(s): {Reason}", requestId, attempt, ex.Message);
                return;
            }
        }
    }
}
