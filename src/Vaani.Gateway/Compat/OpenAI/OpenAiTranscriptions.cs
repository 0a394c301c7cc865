using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vaani.Audio;
using Vaani.Audio.Containers;
using Vaani.Audio.Decoding;
using Vaani.Engines;
using Vaani.Gateway.Admission;
using Vaani.Gateway.Hosting;
using Realtime = Vaani.Gateway.Realtime;
using Vaani.Gateway.Routing;
using Vaani.Speech.Batch;
using Vaani.Speech.Transcripts;

namespace Vaani.Gateway.Compat.OpenAI;

/// <summary>
/// OpenAI-compatible <c>POST /v1/audio/transcriptions</c> (multipart): <c>response_format</c>
/// json | text | srt | vtt | verbose_json, <c>timestamp_granularities[]</c> word | segment, and
/// <c>stream=true</c> as Server-Sent Events (<c>transcript.text.delta</c>, <c>transcript.text.done</c>).
/// A thin adapter over <see cref="BatchTranscriber"/> and <see cref="TranscriptFormatter"/>.
/// </summary>
internal sealed class OpenAiTranscriptions(IEngineRouter router, ISessionGuard guard, GatewayOptions options, ICompatModelMap models)
{
    private static readonly string[] Formats = ["json", "text", "srt", "vtt", "verbose_json"];

    public async Task HandleAsync(HttpContext ctx)
    {
        if (ctx.Request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) != true)
        {
            await OpenAiErrors.Invalid("the request must be multipart/form-data with the audio in 'file'", null, null).ExecuteAsync(ctx);
            return;
        }
        IFormCollection form;
        try { form = await ctx.Request.ReadFormAsync(ctx.RequestAborted); }
        catch (InvalidDataException ex) { await OpenAiErrors.Invalid($"the multipart body could not be read: {ex.Message}", null, null).ExecuteAsync(ctx); return; }

        var file = form.Files.GetFile("file");
        if (file is null) { await OpenAiErrors.Invalid("you must provide a file ('file' field)", "file", "missing_required_parameter").ExecuteAsync(ctx); return; }
        var model = Field(form, "model");
        if (model is null) { await OpenAiErrors.Invalid("you must provide a model parameter", "model", "missing_required_parameter").ExecuteAsync(ctx); return; }
        if (!models.IsSttModel(CompatApi.OpenAi, model))
        {
            await OpenAiErrors.Error(StatusCodes.Status404NotFound, $"the model '{model}' does not exist or you do not have access to it", "invalid_request_error", "model", "model_not_found").ExecuteAsync(ctx);
            return;
        }
        var format = Field(form, "response_format") ?? "json";
        if (!Formats.Contains(format))
        {
            await OpenAiErrors.Invalid($"'{format}' is not one of {string.Join(", ", Formats.Select(f => $"'{f}'"))} - 'response_format'", "response_format").ExecuteAsync(ctx);
            return;
        }
        var granularities = form["timestamp_granularities[]"].Concat(form["timestamp_granularities"]).SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet();
        if (granularities.FirstOrDefault(g => g is not ("word" or "segment")) is { } badGranularity)
        {
            await OpenAiErrors.Invalid($"'{badGranularity}' is not one of 'word', 'segment' - 'timestamp_granularities[]'", "timestamp_granularities[]").ExecuteAsync(ctx);
            return;
        }
        if (Field(form, "temperature") is { } temp && (!double.TryParse(temp, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) || t < 0 || t > 1))
        {
            await OpenAiErrors.Invalid($"temperature must be a number between 0 and 1, got '{temp}'", "temperature", "decimal_above_max_value").ExecuteAsync(ctx);
            return;
        }
        bool stream = Field(form, "stream") is { } s && s.Equals("true", StringComparison.OrdinalIgnoreCase);
        var language = Field(form, "language") ?? "en";
        var pool = router.FindStt(language);
        if (pool is null)
        {
            await OpenAiErrors.Invalid($"language '{language}' is not supported here; GET /v1/models lists the served languages", "language", "unsupported_language").ExecuteAsync(ctx);
            return;
        }
        var admitted = await guard.AdmitAsync(ctx, SessionKind.SttBatch, pool.Name, pool.Capacity);
        if (!admitted.IsAdmitted)
        {
            await CompatGuard.OpenAiRefusal(ctx, admitted).ExecuteAsync(ctx);
            return;
        }
        using var ticket = admitted.Ticket!;
        double audioSeconds = 0;
        await using var usage = new UsageOnExit(() => ticket.RecordUsageAsync(audioSeconds, 0, pool.Name));
        byte[] audio;
        try
        {
            await using var input = file.OpenReadStream();
            var limits = new DecodeLimits { MaxInputBytes = options.MaxUploadBytes, MaxDuration = options.MaxBatchAudio };
            audio = await AudioInput.ReadAllAsync(input, null, pool.Capabilities.NativeFormat, pool.Capabilities.FoldNarrowbandInput, limits, ctx.RequestAborted);
        }
        catch (AudioFormatException ex)
        {
            await OpenAiErrors.Invalid($"the audio file could not be decoded or its format is not supported: {ex.Message}", "file").ExecuteAsync(ctx);
            return;
        }
        Transcript transcript;
        try
        {
            transcript = await BatchTranscriber.TranscribeAsync(pool.Engine, audio, new SttSessionOptions { Language = language }, ctx.RequestAborted);
            audioSeconds = transcript.Duration.TotalSeconds;
        }
        catch (EngineException ex)
        {
            await OpenAiErrors.Error(ex.IsPermanent ? 400 : 503, ex.Message, ex.IsPermanent ? "invalid_request_error" : "server_error", null, ex.Code).ExecuteAsync(ctx);
            return;
        }
        if (stream)
        {
            await StreamAsync(ctx, transcript);
            return;
        }
        switch (format)
        {
            case "json":
                await ctx.Response.WriteAsJsonAsync(new { text = transcript.Text, usage = new { type = "duration", seconds = Math.Ceiling(transcript.Duration.TotalSeconds) } }, ctx.RequestAborted);
                break;
            case "verbose_json":
                await ctx.Response.WriteAsJsonAsync<object>(Verbose(transcript, language, granularities), Realtime.GatewayJson.Options, ctx.RequestAborted);
                break;
            case "text":
                ctx.Response.ContentType = "text/plain; charset=utf-8";
                await ctx.Response.WriteAsync(TranscriptFormatter.Format(transcript, TranscriptFormat.Text), ctx.RequestAborted);
                break;
            default:
                ctx.Response.ContentType = format == "srt" ? "text/plain; charset=utf-8" : "text/vtt; charset=utf-8";
                await ctx.Response.WriteAsync(TranscriptFormatter.Format(transcript, format == "srt" ? TranscriptFormat.Srt : TranscriptFormat.Vtt), ctx.RequestAborted);
                break;
        }
    }

    private static object Verbose(Transcript transcript, string language, HashSet<string> granularities)
    {
        // Segments are the default granularity; words only when asked for (as OpenAI does).
        bool segments = granularities.Count == 0 || granularities.Contains("segment");
        bool words = granularities.Contains("word");
        var kept = transcript.Segments.Where(s => s.Text.Length > 0).ToArray();
        return new
        {
            task = "transcribe",
            language = LanguageName(language),
            duration = TranscriptFormatter.Seconds(transcript.Duration),
            text = transcript.Text,
            segments = segments ? kept.Select((s, i) => new
            {
                id = i,
                seek = 0,
                start = TranscriptFormatter.Seconds(s.Start),
                end = TranscriptFormatter.Seconds(s.End),
                text = " " + s.Text,
                tokens = Array.Empty<int>(),
                temperature = 0.0,
                avg_logprob = Math.Round(Math.Log(Math.Max(s.Confidence, 1e-6)), 4),
                compression_ratio = 1.0,
                no_speech_prob = 0.0,
            }).ToArray() : null,
            words = words ? transcript.Words.Select(w => new { word = w.Word, start = TranscriptFormatter.Seconds(w.Start), end = TranscriptFormatter.Seconds(w.End) }).ToArray() : null,
            usage = new { type = "duration", seconds = Math.Ceiling(transcript.Duration.TotalSeconds) },
        };
    }

    private static async Task StreamAsync(HttpContext ctx, Transcript transcript)
    {
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        var ct = ctx.RequestAborted;
        bool first = true;
        foreach (var segment in transcript.Segments.Where(s => s.Text.Length > 0))
        {
            await WriteAsync(ctx, new { type = "transcript.text.delta", delta = (first ? "" : " ") + segment.Text }, ct);
            first = false;
        }
        await WriteAsync(ctx, new { type = "transcript.text.done", text = transcript.Text }, ct);
    }

    private static async Task WriteAsync(HttpContext ctx, object data, CancellationToken ct)
    {
        await ctx.Response.WriteAsync($"data: {JsonSerializer.Serialize(data)}\n\n", ct);
        await ctx.Response.Body.FlushAsync(ct);
    }

    private static string? Field(IFormCollection form, string name) =>
        form.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;

    private static string LanguageName(string code)
    {
        var primary = code.Split('-', '_')[0].ToLowerInvariant();
        return primary switch
        {
            "en" => "english", "hi" => "hindi", "es" => "spanish", "fr" => "french", "de" => "german", "it" => "italian",
            "pt" => "portuguese", "nl" => "dutch", "ja" => "japanese", "zh" => "chinese", "ru" => "russian", "bn" => "bengali",
            "ta" => "tamil", "te" => "telugu", "mr" => "marathi", "gu" => "gujarati", "kn" => "kannada", "ml" => "malayalam",
            "pa" => "punjabi", "ur" => "urdu", "ne" => "nepali",
            _ => primary,
        };
    }
}
