using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vaani.Audio;
using Vaani.Audio.Containers;
using Vaani.Audio.Decoding;
using Vaani.Engines;
using Vaani.Gateway.Admission;
using Vaani.Gateway.Hosting;
using Vaani.Gateway.Realtime;
using Vaani.Gateway.Routing;
using Vaani.Speech.Batch;

namespace Vaani.Gateway.Compat.Deepgram;

/// <summary>
/// Deepgram-compatible pre-recorded transcription: <c>POST /v1/listen</c> with the audio as the body
/// (any container <see cref="AudioInput"/> reads, or raw with <c>encoding</c>) or <c>{"url"}</c>
/// fetched under <see cref="RemoteHttp"/>'s address policy. With <c>callback=</c> it answers
/// <c>{"request_id"}</c> at once and delivers the result later (<see cref="DeepgramCallbacks"/>).
/// </summary>
internal sealed class DeepgramListenHttp(IEngineRouter router, ISessionGuard guard, GatewayOptions options, ICompatModelMap models, RemoteHttp http, DeepgramCallbacks callbacks, TimeProvider time)
{
    public async Task HandleAsync(HttpContext ctx)
    {
        var requestId = DeepgramIds.NewRequestId();
        ctx.Response.Headers["dg-request-id"] = requestId;
        DeepgramListenOptions query;
        Uri? callback = null;
        try
        {
            CompatAuth.Parse(ctx);
            query = DeepgramListenOptions.Parse(ctx.Request.Query);
            if (query.Callback is not null) callback = RemoteHttp.ValidateUrl(query.Callback, "callback");
        }
        catch (FormatException ex) { await DeepgramErrors.Error(401, "INVALID_AUTH", ex.Message, requestId).ExecuteAsync(ctx); return; }
        catch (Exception ex) when (ex is ArgumentException or AudioFormatException or FetchException) { await DeepgramErrors.BadRequest(ex.Message, requestId).ExecuteAsync(ctx); return; }
        if (!models.IsSttModel(CompatApi.Deepgram, query.Model))
        {
            await DeepgramErrors.BadRequest($"No such model/language/tier combination found: model '{query.Model}' is not served here", requestId).ExecuteAsync(ctx);
            return;
        }
        var pool = router.FindStt(query.Language);
        if (pool is null)
        {
            await DeepgramErrors.BadRequest($"No such model/language/tier combination found: no model serves language '{query.Language}'", requestId).ExecuteAsync(ctx);
            return;
        }

        // The source: a JSON {"url"} or the body itself.
        Uri? source = null;
        byte[]? body = null;
        if (ctx.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
        {
            try
            {
                using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted);
                source = RemoteHttp.ValidateUrl(doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null, "url");
            }
            catch (JsonException ex) { await DeepgramErrors.BadRequest($"Content-type was application/json, but we could not process the JSON payload: {ex.Message}", requestId).ExecuteAsync(ctx); return; }
            catch (FetchException ex) { await DeepgramErrors.BadRequest(ex.Message, requestId).ExecuteAsync(ctx); return; }
        }
        else
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted);
            body = ms.ToArray();
            if (body.Length == 0)
            {
                await DeepgramErrors.BadRequest("Bad Request: the request body is empty: send audio, or JSON {\"url\": ...} with Content-Type application/json", requestId).ExecuteAsync(ctx);
                return;
            }
        }

        var admitted = await guard.AdmitAsync(ctx, SessionKind.SttBatch, pool.Name, pool.Capacity);
        if (!admitted.IsAdmitted)
        {
            await CompatGuard.DeepgramRefusal(ctx, admitted, requestId).ExecuteAsync(ctx);
            return;
        }
        var job = new Job(requestId, query, pool, source, body, admitted.Ticket!);
        if (callback is not null)
        {
            // The ticket (and its slots) lives until the callback job has run.
            if (!callbacks.TryStart(job, callback, async (j, ct) => { try { return await RunAsync(j, ct); } finally { j.Ticket.Dispose(); } }))
            {
                job.Ticket.Dispose();
                await DeepgramErrors.Error(StatusCodes.Status429TooManyRequests, "TOO_MANY_REQUESTS", "too many callback requests are pending; try again later", requestId).ExecuteAsync(ctx);
                return;
            }
            await ctx.Response.WriteAsJsonAsync(new { request_id = requestId }, ctx.RequestAborted);
            return;
        }
        using var ticket = job.Ticket;
        var (status, result) = await RunAsync(job, ctx.RequestAborted);
        if (status != 200)
        {
            var error = (Error)result;
            await DeepgramErrors.Error(status, error.Code, error.Message, requestId).ExecuteAsync(ctx);
            return;
        }
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(JsonSerializer.Serialize(result, GatewayJson.Options), ctx.RequestAborted);
    }

    internal sealed record Job(string RequestId, DeepgramListenOptions Options, EnginePool<ISpeechToTextEngine> Pool, Uri? Source, byte[]? Body, ISessionTicket Ticket);

    internal sealed record Error(string Code, string Message);

    /// <summary>Fetches (if needed), decodes and transcribes; returns the status and the response object or an <see cref="Error"/>.</summary>
    internal async Task<(int Status, object Result)> RunAsync(Job job, CancellationToken ct)
    {
        byte[] input;
        try { input = job.Body ?? await http.FetchAsync(job.Source!, ct); }
        catch (FetchException ex) { return (400, new Error("Bad Request", $"Could not fetch the url: {ex.Message}")); }
        byte[] audio;
        try
        {
            var limits = new DecodeLimits { MaxInputBytes = options.MaxUploadBytes, MaxDuration = options.MaxBatchAudio };
            audio = await AudioInput.ReadAllAsync(new MemoryStream(input, writable: false), job.Options.RawFormat, job.Pool.Capabilities.NativeFormat, job.Pool.Capabilities.FoldNarrowbandInput, limits, ct);
        }
        catch (AudioFormatException ex) { return (400, new Error("Bad Request", $"Bad Request: failed to process audio: corrupt or unsupported data ({ex.Message})")); }
        try
        {
            var transcript = await BatchTranscriber.TranscribeAsync(job.Pool.Engine, audio, new SttSessionOptions { Language = job.Options.Language }, ct);
            await job.Ticket.RecordUsageAsync(transcript.Duration.TotalSeconds, 0, job.Pool.Name);
            var sha = Convert.ToHexStringLower(SHA256.HashData(input));
            return (200, DeepgramPrerecordedResponse.Build(transcript, job.Options, job.RequestId, sha, job.Pool.Name, job.Pool.Capabilities.Name, time.GetUtcNow()));
        }
        catch (EngineException ex)
        {
            return ex.IsPermanent ? (400, new Error("Bad Request", ex.Message)) : (503, new Error("SERVICE_UNAVAILABLE", ex.Message));
        }
    }
}
