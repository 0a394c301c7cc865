using Vaani.Gateway.Admission;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vaani.Audio;
using Vaani.Engines;
using Vaani.Gateway.Hosting;
using Vaani.Gateway.Routing;
using Vaani.Speech.Synthesis;

namespace Vaani.Gateway.Compat.OpenAI;

/// <summary>
/// OpenAI-compatible <c>POST /v1/audio/speech</c>: <c>{model, input, voice, response_format, speed,
/// stream_format}</c>. wav, pcm (24 kHz s16le) and opus are encoded natively; mp3, flac and aac
/// through ffmpeg. <c>stream_format=sse</c> sends <c>speech.audio.delta</c> / <c>speech.audio.done</c> events.
/// </summary>
internal sealed class OpenAiSpeech(IEngineRouter router, ISessionGuard guard, CompatOptions compat, ICompatModelMap models)
{
    /// <summary>OpenAI's output rate for wav, pcm and the transcoded formats.</summary>
    private const int OutputRate = 24000;
    private const int MaxInputChars = 4096;

    public async Task HandleAsync(HttpContext ctx)
    {
        JsonElement root;
        try
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted);
            root = doc.RootElement.Clone();
        }
        catch (JsonException ex) { await OpenAiErrors.Invalid($"the body is not valid JSON: {ex.Message}", null, null).ExecuteAsync(ctx); return; }
        if (root.ValueKind != JsonValueKind.Object) { await OpenAiErrors.Invalid("the body must be a JSON object", null, null).ExecuteAsync(ctx); return; }

        var model = String(root, "model");
        if (model is null) { await OpenAiErrors.Invalid("you must provide a model parameter", "model", "missing_required_parameter").ExecuteAsync(ctx); return; }
        if (!models.IsOpenAiTtsModel(model))
        {
            await OpenAiErrors.Error(StatusCodes.Status404NotFound, $"the model '{model}' does not exist or you do not have access to it", "invalid_request_error", "model", "model_not_found").ExecuteAsync(ctx);
            return;
        }
        var input = String(root, "input");
        if (string.IsNullOrWhiteSpace(input)) { await OpenAiErrors.Invalid("'input' is required and must not be empty", "input", "missing_required_parameter").ExecuteAsync(ctx); return; }
        if (input.Length > MaxInputChars) { await OpenAiErrors.Invalid($"'input' has {input.Length} characters; the maximum is {MaxInputChars}", "input", "string_above_max_length").ExecuteAsync(ctx); return; }
        var voiceName = root.TryGetProperty("voice", out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String => id.GetString(),
            _ => null,
        } : null;
        if (voiceName is null) { await OpenAiErrors.Invalid("you must provide a voice parameter", "voice", "missing_required_parameter").ExecuteAsync(ctx); return; }
        var voice = models.OpenAiVoice(voiceName);
        if (voice is null) { await OpenAiErrors.Invalid($"voice '{voiceName}' is not supported: use alloy, ash, ballad, coral, echo, fable, nova, onyx, sage, shimmer, verse, marin, cedar or a Vaani voice id", "voice").ExecuteAsync(ctx); return; }
        double speed = 1.0;
        if (root.TryGetProperty("speed", out var sp) && sp.ValueKind != JsonValueKind.Null && (sp.ValueKind != JsonValueKind.Number || (speed = sp.GetDouble()) < 0.25 || speed > 4.0))
        {
            await OpenAiErrors.Invalid($"speed must be a number from 0.25 to 4.0", "speed", sp.ValueKind == JsonValueKind.Number && speed > 4.0 ? "decimal_above_max_value" : "invalid_value").ExecuteAsync(ctx);
            return;
        }
        var format = String(root, "response_format") ?? "mp3";
        SpeechOutput output;
        switch (format)
        {
            case "wav": output = SpeechOutput.Of(new TtsOutputFormat(TtsContainer.Wav, AudioFormat.Linear16(OutputRate))); break;
            case "pcm": output = SpeechOutput.Of(new TtsOutputFormat(TtsContainer.Raw, AudioFormat.Linear16(OutputRate))); break;
            case "opus": output = SpeechOutput.Of(TtsOutputFormat.Parse("opus", 48000, 48000)); break;
            case "mp3" or "flac" or "aac": output = SpeechOutput.Transcoded(format, OutputRate); break;
            default:
                await OpenAiErrors.Invalid($"'{format}' is not one of 'mp3', 'opus', 'aac', 'flac', 'wav', 'pcm' - 'response_format'", "response_format").ExecuteAsync(ctx);
                return;
        }
        var streamFormat = String(root, "stream_format") ?? "audio";
        if (streamFormat is not ("audio" or "sse"))
        {
            await OpenAiErrors.Invalid($"'{streamFormat}' is not one of 'sse', 'audio' - 'stream_format'", "stream_format").ExecuteAsync(ctx);
            return;
        }
        bool sse = streamFormat == "sse";
        var pool = router.FindTts(voice.Voice, null);
        if (pool is null) { await OpenAiErrors.Invalid($"voice '{voiceName}' maps to '{voice.Voice}', which no pool serves", "voice").ExecuteAsync(ctx); return; }

        var admitted = await guard.AdmitAsync(ctx, SessionKind.TtsRequest, pool.Name, pool.Capacity);
        if (!admitted.IsAdmitted)
        {
            await CompatGuard.OpenAiRefusal(ctx, admitted).ExecuteAsync(ctx);
            return;
        }
        using var ticket = admitted.Ticket!;
        await using var usage = new UsageOnExit(() => ticket.RecordUsageAsync(0, input.Length, pool.Name));
        var request = new TtsRequest { Text = input, Voice = voice.Voice, Pitch = voice.Pitch, Rate = speed };
        var ct = ctx.RequestAborted;
        await using var events = pool.Engine.SynthesizeAsync(request, ct).GetAsyncEnumerator(ct);
        bool any;
        try { any = await events.MoveNextAsync(); }
        catch (EngineException ex)
        {
            await OpenAiErrors.Error(ex.IsPermanent ? 400 : 503, ex.Message, ex.IsPermanent ? "invalid_request_error" : "server_error", null, ex.Code).ExecuteAsync(ctx);
            return;
        }
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = sse ? "text/event-stream" : output.ContentType;
        ctx.Response.Headers.CacheControl = "no-cache";
        await using var encoder = SpeechEncoder.Create(output, pool.Capabilities.NativeFormat, compat, async (bytes, token) =>
        {
            if (sse) await WriteEventAsync(ctx, new { type = "speech.audio.delta", audio = Convert.ToBase64String(bytes.Span) }, token);
            else await ctx.Response.Body.WriteAsync(bytes, token);
            await ctx.Response.Body.FlushAsync(token);
        });
        try
        {
            await CompatSynthesis.PumpAsync(events, any, encoder, pool.Capabilities.NativeFormat.SampleRate, ct);
            if (sse)
                await WriteEventAsync(ctx, new { type = "speech.audio.done", usage = new { input_tokens = input.Length, output_tokens = 0, total_tokens = input.Length } }, ct);
        }
        catch (EngineException ex) when (sse)
        {
            await WriteEventAsync(ctx, OpenAiErrors.Body(ex.Message, "server_error", null, ex.Code), ct);
        }
        catch (EngineException)
        {
            ctx.Abort(); // headers are sent: a truncated response, not a clean end
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    private static async Task WriteEventAsync(HttpContext ctx, object data, CancellationToken ct)
    {
        await ctx.Response.WriteAsync($"data: {JsonSerializer.Serialize(data)}\n\n", ct);
        await ctx.Response.Body.FlushAsync(ct);
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(p.GetString()) ? p.GetString()!.Trim() : null;
}
