using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vaani.Audio;
using Vaani.Engines;
using Vaani.Gateway.Admission;
using Vaani.Gateway.Hosting;
using Vaani.Gateway.Http;
using Vaani.Gateway.Realtime;
using Vaani.Gateway.Routing;
using Vaani.Speech.Synthesis;
using Vaani.Speech.Transcripts;

namespace Vaani.Gateway.Tts;

/// <summary>
/// <c>POST /v1/tts</c>: audio streamed as it is synthesised (chunked response).
/// <c>POST /v1/tts/sse</c>: the same as Server-Sent Events (<c>audio</c> with base64 data,
/// <c>words</c>, <c>done</c>, <c>error</c>).
/// </summary>
internal sealed class TtsHttpEndpoint(IEngineRouter router, ISessionGuard guard, GatewayOptions options)
{
    public async Task HandleAsync(HttpContext ctx, bool sse)
    {
        TtsHttpRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<TtsHttpRequest>(ctx.Request.Body, GatewayJson.Options, ctx.RequestAborted);
        }
        catch (JsonException ex)
        {
            await ApiErrors.BadRequest("invalid_json", $"the body must be a JSON object: {ex.Message}").ExecuteAsync(ctx);
            return;
        }
        if (body is null || string.IsNullOrWhiteSpace(body.Text))
        {
            await ApiErrors.BadRequest("invalid_text", "text is required and must not be empty").ExecuteAsync(ctx);
            return;
        }
        if (body.Text.Length > options.MaxTtsChars)
        {
            await ApiErrors.BadRequest("text_too_long", $"text has {body.Text.Length} characters; the limit is {options.MaxTtsChars}").ExecuteAsync(ctx);
            return;
        }
        var pool = router.FindTts(body.Voice, body.Language);
        if (pool is null)
        {
            await ApiErrors.BadRequest("unsupported_voice", $"no voice serves voice '{body.Voice}' / language '{body.Language}'; GET /v1/voices lists them").ExecuteAsync(ctx);
            return;
        }
        TtsOutputFormat output;
        try
        {
            if (body.SampleRate is { } r && !AudioFormat.SupportedSampleRates.Contains(r))
                throw new AudioFormatException($"sample_rate {r} is not supported: use one of {string.Join(", ", AudioFormat.SupportedSampleRates)}");
            output = TtsOutputFormat.Parse(body.Format ?? "wav", body.SampleRate, pool.Capabilities.NativeFormat.SampleRate);
        }
        catch (AudioFormatException ex)
        {
            await ApiErrors.BadRequest("invalid_format", ex.Message).ExecuteAsync(ctx);
            return;
        }
        if (body.Rate is < 0.25 or > 4.0 || body.Pitch is < 0 or > 100)
        {
            await ApiErrors.BadRequest("invalid_prosody", "rate must be 0.25–4.0 and pitch 0–100").ExecuteAsync(ctx);
            return;
        }
        var admitted = await guard.AdmitAsync(ctx, SessionKind.TtsRequest, pool.Name, pool.Capacity);
        if (!admitted.IsAdmitted)
        {
            await admitted.ToResult().ExecuteAsync(ctx);
            return;
        }
        using var ticket = admitted.Ticket!;
        long samples = 0;
        await using var usage = new UsageOnExit(() => ticket.RecordUsageAsync((double)samples / pool.Capabilities.NativeFormat.SampleRate, body.Text.Length, pool.Name));
        var request = new TtsRequest { Text = body.Text, IsSsml = body.Ssml, Voice = body.Voice, Language = body.Language, Rate = body.Rate ?? 1.0, Pitch = body.Pitch ?? 50 };
        var encoder = new SynthesisEncoder(pool.Capabilities.NativeFormat, output);
        var buffer = new ArrayBufferWriter<byte>(16384);
        var ct = ctx.RequestAborted;
        var rate = pool.Capabilities.NativeFormat.SampleRate;
        var enumerator = pool.Engine.SynthesizeAsync(request, ct).GetAsyncEnumerator(ct);
        try
        {
            // Pull the first event before committing to a 200, so request errors still get a 4xx.
            bool any;
            try { any = await enumerator.MoveNextAsync(); }
            catch (EngineException ex)
            {
                await ApiErrors.Error(ex.IsPermanent ? 400 : 503, ex.Code, ex.Message, ex.IsPermanent ? null : TimeSpan.FromSeconds(1)).ExecuteAsync(ctx);
                return;
            }
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = sse ? "text/event-stream" : output.ContentType;
            ctx.Response.Headers.CacheControl = "no-cache";
            if (sse) ctx.Response.Headers["X-Accel-Buffering"] = "no";
            encoder.Start(buffer);
            try
            {
                while (any)
                {
                    switch (enumerator.Current)
                    {
                        case TtsAudio a:
                            samples += a.Audio.Length / 2;
                            encoder.Encode(a.Audio.Span, buffer);
                            await FlushAsync(ctx, buffer, sse, ct);
                            break;
                        case TtsWord w when sse:
                            await WriteEventAsync(ctx, "words", new { words = new[] { new { word = w.Word, start = TranscriptFormatter.Seconds(w.Start), end = TranscriptFormatter.Seconds(w.End), text_offset = w.TextOffset, text_length = w.TextLength } } }, ct);
                            break;
                    }
                    any = await enumerator.MoveNextAsync();
                }
                encoder.Complete(buffer);
                await FlushAsync(ctx, buffer, sse, ct);
                if (sse) await WriteEventAsync(ctx, "done", new { audio_seconds = Math.Round((double)samples / rate, 3) }, ct);
            }
            catch (EngineException ex) when (sse)
            {
                await WriteEventAsync(ctx, "error", new { code = ex.Code, message = ex.Message }, ct);
            }
            catch (EngineException)
            {
                // Headers are sent: abort so the client sees a truncated response, not a clean end.
                ctx.Abort();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        finally
        {
            await enumerator.DisposeAsync();
        }
    }

    private static async Task FlushAsync(HttpContext ctx, ArrayBufferWriter<byte> buffer, bool sse, CancellationToken ct)
    {
        if (buffer.WrittenCount == 0) return;
        if (sse) await WriteEventAsync(ctx, "audio", new { audio = Convert.ToBase64String(buffer.WrittenSpan) }, ct);
        else await ctx.Response.Body.WriteAsync(buffer.WrittenMemory, ct);
        buffer.Clear();
        await ctx.Response.Body.FlushAsync(ct);
    }

    private static async Task WriteEventAsync(HttpContext ctx, string name, object data, CancellationToken ct)
    {
        var json = JsonSerializer.Serialize(data, GatewayJson.Options);
        await ctx.Response.WriteAsync($"event: {name}\ndata: {json}\n\n", ct);
        await ctx.Response.Body.FlushAsync(ct);
    }

    private sealed record TtsHttpRequest(string? Text, bool Ssml, string? Voice, string? Language, string? Format, int? SampleRate, double? Rate, int? Pitch);
}
