using Microsoft.AspNetCore.Http;
using Vaani.Audio;
using Vaani.Audio.Containers;
using Vaani.Audio.Decoding;
using Vaani.Engines;
using Vaani.Gateway.Admission;
using Vaani.Gateway.Hosting;
using Vaani.Gateway.Http;
using Vaani.Gateway.Routing;
using Vaani.Speech.Batch;
using Vaani.Speech.Transcripts;

namespace Vaani.Gateway.Stt;

/// <summary>
/// <c>POST /v1/stt</c>: batch transcription of an uploaded file (raw body or multipart field
/// <c>file</c>) in any supported container; raw headerless audio needs <c>encoding</c> and
/// <c>sample_rate</c>. Output <c>format=json|text|srt|vtt</c>.
/// </summary>
internal sealed class SttBatchEndpoint(IEngineRouter router, ISessionGuard guard, GatewayOptions options)
{
    public async Task HandleAsync(HttpContext ctx)
    {
        var q = ctx.Request.Query;
        TranscriptFormat format;
        AudioFormat? raw = null;
        string language;
        try
        {
            format = TranscriptFormatter.Parse(SttStreamQuery.Get(q, "format") ?? "json");
            language = SttStreamQuery.Get(q, "language") ?? "en-US";
            if (SttStreamQuery.Get(q, "encoding") is { } enc)
            {
                var encoding = AudioFormat.ParseEncoding(enc);
                raw = new AudioFormat(encoding, SttStreamQuery.Int(q, "sample_rate", encoding is AudioEncoding.Mulaw or AudioEncoding.Alaw ? 8000 : 16000, 8000, 48000), SttStreamQuery.Int(q, "channels", 1, 1, AudioFormat.MaxChannels));
            }
        }
        catch (ArgumentException ex) { await ApiErrors.BadRequest("invalid_format", ex.Message).ExecuteAsync(ctx); return; }
        catch (QueryException ex) { await ApiErrors.BadRequest("invalid_" + ex.Field, ex.Message).ExecuteAsync(ctx); return; }
        catch (AudioFormatException ex) { await ApiErrors.BadRequest("invalid_encoding", ex.Message).ExecuteAsync(ctx); return; }

        var pool = router.FindStt(language);
        if (pool is null)
        {
            await ApiErrors.BadRequest("unsupported_language", $"no speech-to-text model serves language '{language}'; GET /v1/models lists them").ExecuteAsync(ctx);
            return;
        }
        Stream input = ctx.Request.Body;
        // Only multipart is a form here: a raw body is audio whatever its Content-Type
        // (curl --data-binary labels it application/x-www-form-urlencoded).
        if (ctx.Request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
        {
            IFormCollection form;
            try { form = await ctx.Request.ReadFormAsync(ctx.RequestAborted); }
            catch (InvalidDataException ex)
            {
                await ApiErrors.BadRequest("invalid_multipart", $"the multipart body could not be read: {ex.Message}").ExecuteAsync(ctx);
                return;
            }
            var file = form.Files.GetFile("file") ?? (form.Files.Count > 0 ? form.Files[0] : null);
            if (file is null)
            {
                await ApiErrors.BadRequest("missing_file", "multipart uploads carry the audio in a field named 'file'").ExecuteAsync(ctx);
                return;
            }
            input = file.OpenReadStream();
        }
        var admitted = await guard.AdmitAsync(ctx, SessionKind.SttBatch, pool.Name, pool.Capacity);
        if (!admitted.IsAdmitted)
        {
            await admitted.ToResult().ExecuteAsync(ctx);
            return;
        }
        using var ticket = admitted.Ticket!;
        byte[] audio;
        try
        {
            var limits = new DecodeLimits { MaxInputBytes = options.MaxUploadBytes, MaxDuration = options.MaxBatchAudio };
            audio = await AudioInput.ReadAllAsync(input, raw, pool.Capabilities.NativeFormat, pool.Capabilities.FoldNarrowbandInput, limits, ctx.RequestAborted);
        }
        catch (AudioFormatException ex)
        {
            await ApiErrors.Error(StatusCodes.Status422UnprocessableEntity, "invalid_audio", ex.Message).ExecuteAsync(ctx);
            return;
        }
        if (audio.Length == 0)
        {
            await ApiErrors.Error(StatusCodes.Status422UnprocessableEntity, "empty_audio", "the upload holds no audio samples").ExecuteAsync(ctx);
            return;
        }
        Transcript transcript;
        try
        {
            transcript = await BatchTranscriber.TranscribeAsync(pool.Engine, audio, new SttSessionOptions { Language = language }, ctx.RequestAborted);
        }
        catch (EngineException ex)
        {
            await ApiErrors.Error(ex.IsPermanent ? 400 : 503, ex.Code, ex.Message, ex.IsPermanent ? null : TimeSpan.FromSeconds(1)).ExecuteAsync(ctx);
            return;
        }
        await ticket.RecordUsageAsync(transcript.Duration.TotalSeconds, 0, pool.Name);
        ctx.Response.ContentType = format switch
        {
            TranscriptFormat.Json => "application/json",
            TranscriptFormat.Vtt => "text/vtt; charset=utf-8",
            TranscriptFormat.Srt => "application/x-subrip; charset=utf-8",
            _ => "text/plain; charset=utf-8",
        };
        await ctx.Response.WriteAsync(TranscriptFormatter.Format(transcript, format), ctx.RequestAborted);
    }
}
