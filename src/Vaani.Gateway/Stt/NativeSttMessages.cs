using System.Text.Json;
using System.Text.Json.Serialization;
using Vaani.Engines;
using Vaani.Gateway.Realtime;
using Vaani.Speech.Streaming;
using Vaani.Speech.Transcripts;

namespace Vaani.Gateway.Stt;

/// <summary>Server → client events of <c>/v1/stt/stream</c> (docs/api.md).</summary>
internal static class NativeSttMessages
{
    public sealed record WordJson(string Word, double Start, double End, double Confidence);

    /// <summary><c>transcript.partial</c>: the stream's most frequent event, serialised by generated code.</summary>
    internal sealed record PartialJson(string Type, string Text, double Start, double End);

    /// <summary>
    /// The event as the UTF-8 JSON text sent to the client, or null for an event the API does not
    /// send. Partials, several a second per stream, are written by source-generated code straight
    /// from their type; the rest go through <see cref="From"/> and the same naming rules
    /// (<see cref="GatewayJson.Options"/>), the output being the same either way.
    /// </summary>
    public static byte[]? Utf8(SttEvent e, bool words) => e is SttPartial p
        ? JsonSerializer.SerializeToUtf8Bytes(new PartialJson("transcript.partial", p.Text, Sec(p.Start), Sec(p.End)), NativeSttJson.Default.PartialJson)
        : From(e, words) is { } message ? JsonSerializer.SerializeToUtf8Bytes(message, GatewayJson.Options) : null;

    public static object? From(SttEvent e, bool words) => e switch
    {
        SttPartial p => new { type = "transcript.partial", text = p.Text, start = Sec(p.Start), end = Sec(p.End) },
        SttFinal f => new
        {
            type = "transcript.final",
            text = f.Text,
            start = Sec(f.Start),
            end = Sec(f.End),
            confidence = Math.Round(f.Confidence, 4),
            from_finalize = f.FromFinalize,
            words = words ? f.Words.Select(w => new WordJson(w.Word, Sec(w.Start), Sec(w.End), Math.Round(w.Confidence, 4))).ToArray() : null,
        },
        SttSpeechStarted s => new { type = "speech.started", timestamp = Sec(s.Timestamp) },
        SttUtteranceEnd u => new { type = "utterance.end", last_word_end = Sec(u.LastWordEnd) },
        _ => null,
    };

    public static object Closed(string sessionId, SttStreamStats stats) => new
    {
        type = "session.closed",
        session_id = sessionId,
        usage = new { audio_seconds = Math.Round(stats.AudioSeconds, 3) },
        latency = new
        {
            admission_wait_ms = Ms(stats.AdmissionWait),
            engine_ms = Ms(stats.EngineTime),
            time_to_first_partial_ms = stats.TimeToFirstPartial is { } t ? Ms(t) : (double?)null,
            finalization_p50_ms = stats.FinalizationLatencyP50 is { } p ? Ms(p) : (double?)null,
            finalization_max_ms = stats.FinalizationLatencyMax is { } m ? Ms(m) : (double?)null,
        },
        replacements = stats.Replacements,
        finals = stats.Finals,
    };

    private static double Sec(TimeSpan t) => TranscriptFormatter.Seconds(t);
    private static double Ms(TimeSpan t) => Math.Round(t.TotalMilliseconds, 1);
}

/// <summary>Generated serialisers for <see cref="NativeSttMessages"/>, with the native API's naming rules (<see cref="GatewayJson"/>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NativeSttMessages.PartialJson))]
internal sealed partial class NativeSttJson : JsonSerializerContext;
