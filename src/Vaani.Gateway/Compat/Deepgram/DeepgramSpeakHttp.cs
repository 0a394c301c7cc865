using Vaani.Gateway.Admission;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vaani.Audio;
using Vaani.Engines;
using Vaani.Gateway.Hosting;
using Vaani.Gateway.Routing;

namespace Vaani.Gateway.Compat.Deepgram;

/// <summary>
/// Deepgram-compatible REST synthesis: <c>POST /v1/speak</c> with <c>{"text"}</c>. Audio is
/// streamed as it is synthesised (chunked), in the requested encoding and container.
/// </summary>
internal sealed class DeepgramSpeakHttp(IEngineRouter router, ISessionGuard guard, GatewayOptions options, CompatOptions compat, ICompatModelMap models)
{
    public async Task HandleAsync(HttpContext ctx)
    {
        var requestId = DeepgramIds.NewRequestId();
        ctx.Response.Headers["dg-request-id"] = requestId;
        DeepgramSpeakOptions speak;
        string? text;
        try
        {
            CompatAuth.Parse(ctx);
            speak = DeepgramSpeakOptions.Parse(ctx.Request.Query, models, streaming: false);
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted);
            text = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        }
        catch (FormatException ex) { await DeepgramErrors.Error(401, "INVALID_AUTH", ex.Message, requestId).ExecuteAsync(ctx); return; }
        catch (Exception ex) when (ex is ArgumentException or AudioFormatException) { await DeepgramErrors.BadRequest(ex.Message, requestId).ExecuteAsync(ctx); return; }
        catch (JsonException ex) { await DeepgramErrors.BadRequest($"Invalid JSON submitted: {ex.Message}", requestId).ExecuteAsync(ctx); return; }
        if (string.IsNullOrWhiteSpace(text))
        {
            await DeepgramErrors.BadRequest("Invalid JSON submitted: the body must be {\"text\": \"...\"} with non-empty text", requestId).ExecuteAsync(ctx);
            return;
        }
        if (text.Length > options.MaxTtsChars)
        {
            await DeepgramErrors.Error(413, "Payload Too Large", $"text has {text.Length} characters; the limit is {options.MaxTtsChars}", requestId).ExecuteAsync(ctx);
            return;
        }
        var pool = router.FindTts(speak.Voice.Voice, null);
        if (pool is null)
        {
            await DeepgramErrors.BadRequest($"No such model: '{speak.Model}' maps to voice '{speak.Voice.Voice}', which no pool serves", requestId).ExecuteAsync(ctx);
            return;
        }
        var admitted = await guard.AdmitAsync(ctx, SessionKind.TtsRequest, pool.Name, pool.Capacity);
        if (!admitted.IsAdmitted)
        {
            await CompatGuard.DeepgramRefusal(ctx, admitted, requestId).ExecuteAsync(ctx);
            return;
        }
        using var ticket = admitted.Ticket!;
        await using var usage = new UsageOnExit(() => ticket.RecordUsageAsync(0, text.Length, pool.Name));
        var request = new TtsRequest { Text = text, Voice = speak.Voice.Voice, Pitch = speak.Voice.Pitch, Rate = speak.Speed };
        var ct = ctx.RequestAborted;
        await using var events = pool.Engine.SynthesizeAsync(request, ct).GetAsyncEnumerator(ct);
        bool any;
        try { any = await events.MoveNextAsync(); }
        catch (EngineException ex)
        {
            await DeepgramErrors.Error(ex.IsPermanent ? 400 : 503, ex.IsPermanent ? "Bad Request" : "SERVICE_UNAVAILABLE", ex.Message, requestId).ExecuteAsync(ctx);
            return;
        }
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = speak.Output.ContentType;
        ctx.Response.Headers["dg-model-name"] = speak.Model;
        ctx.Response.Headers["dg-model-uuid"] = DeepgramIds.ModelUuid(pool.Name);
        ctx.Response.Headers["dg-char-count"] = text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var encoder = SpeechEncoder.Create(speak.Output, pool.Capabilities.NativeFormat, compat, async (bytes, token) =>
        {
            await ctx.Response.Body.WriteAsync(bytes, token);
            await ctx.Response.Body.FlushAsync(token);
        });
        try
        {
            await CompatSynthesis.PumpAsync(events, any, encoder, pool.Capabilities.NativeFormat.SampleRate, ct);
        }
        catch (EngineException)
        {
            ctx.Abort(); // headers are sent: a truncated response, not a clean end
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }
}
