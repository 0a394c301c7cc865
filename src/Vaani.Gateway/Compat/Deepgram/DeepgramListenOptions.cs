using System.Globalization;
using Microsoft.AspNetCore.Http;
using Vaani.Audio;

namespace Vaani.Gateway.Compat.Deepgram;

/// <summary>
/// Query parameters of <c>/v1/listen</c> (live and pre-recorded). Parameters Vaani does not
/// implement (keywords, keyterm, redact, numerals, tag, ...) are accepted and ignored, as Deepgram
/// ignores parameters that do not apply; values of known parameters are validated.
/// </summary>
internal sealed record DeepgramListenOptions
{
    /// <summary>Raw audio format, or null when the audio is in a container (detected).</summary>
    public AudioEncoding? Encoding { get; init; }
    public int SampleRate { get; init; } = 16000;
    public int Channels { get; init; } = 1;
    public bool Multichannel { get; init; }
    public string Language { get; init; } = "en";
    public string Model { get; init; } = "base";
    public bool InterimResults { get; init; }
    public TimeSpan? Endpointing { get; init; } = TimeSpan.FromMilliseconds(500);
    public int? UtteranceEndMs { get; init; }
    public bool VadEvents { get; init; }
    public bool Punctuate { get; init; }
    public bool Diarize { get; init; }
    public bool Utterances { get; init; }
    public double UttSplit { get; init; } = 0.8;
    public string? Callback { get; init; }
    public string CallbackMethod { get; init; } = "POST";

    /// <summary>The raw format, when the encoding was given.</summary>
    public AudioFormat? RawFormat => Encoding is { } e ? new AudioFormat(e, SampleRate, Channels) : null;

    /// <summary>Parses and validates; throws <see cref="ArgumentException"/> naming the parameter.</summary>
    public static DeepgramListenOptions Parse(IQueryCollection q)
    {
        AudioEncoding? encoding = Get(q, "encoding") is { } enc ? ParseEncoding(enc) : null;
        int rate = Int(q, "sample_rate", encoding is AudioEncoding.Mulaw or AudioEncoding.Alaw ? 8000 : 16000, 8000, 48000);
        var options = new DeepgramListenOptions
        {
            Encoding = encoding,
            SampleRate = rate,
            Channels = Int(q, "channels", 1, 1, AudioFormat.MaxChannels),
            Multichannel = Bool(q, "multichannel", false),
            Language = Get(q, "language") ?? "en",
            Model = Get(q, "model") ?? "base",
            InterimResults = Bool(q, "interim_results", false),
            Endpointing = Endpoint(Get(q, "endpointing")),
            UtteranceEndMs = Get(q, "utterance_end_ms") is null ? null : Int(q, "utterance_end_ms", 1000, 1000, 5000),
            VadEvents = Bool(q, "vad_events", false),
            Punctuate = Bool(q, "punctuate", false) || Bool(q, "smart_format", false),
            Diarize = Bool(q, "diarize", false),
            Utterances = Bool(q, "utterances", false),
            UttSplit = Get(q, "utt_split") is { } s ? ParseDouble("utt_split", s, 0.01, 10) : 0.8,
            Callback = Get(q, "callback"),
            CallbackMethod = (Get(q, "callback_method") ?? "POST").ToUpperInvariant() is var m && m is "POST" or "PUT" ? m
                : throw new ArgumentException($"callback_method: '{Get(q, "callback_method")}' is not valid: use POST or PUT"),
        };
        if (options.Encoding is not null) _ = options.RawFormat; // validates rate/channels for the encoding
        return options;
    }

    private static AudioEncoding ParseEncoding(string value) => value.ToLowerInvariant() switch
    {
        "linear16" => AudioEncoding.Linear16,
        "linear32" or "float32" => AudioEncoding.Float32,
        "mulaw" => AudioEncoding.Mulaw,
        "alaw" => AudioEncoding.Alaw,
        "flac" or "opus" or "ogg-opus" or "amr-nb" or "amr-wb" or "speex" or "g729" =>
            throw new ArgumentException($"encoding: '{value}' is not supported on this server for raw audio: use linear16, mulaw or alaw, or send a container (WAV) without encoding"),
        _ => throw new ArgumentException($"encoding: '{value}' is not a valid encoding"),
    };

    private static TimeSpan? Endpoint(string? value)
    {
        if (value is null) return TimeSpan.FromMilliseconds(500);
        if (value.Equals("false", StringComparison.OrdinalIgnoreCase)) return null;
        if (value.Equals("true", StringComparison.OrdinalIgnoreCase)) return TimeSpan.FromMilliseconds(10);
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= 60_000)
            return ms == 0 ? null : TimeSpan.FromMilliseconds(Math.Max(ms, 10));
        throw new ArgumentException($"endpointing: '{value}' is not valid: give milliseconds of silence or false");
    }

    internal static string? Get(IQueryCollection q, string name) =>
        q.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v[^1]!.Trim() : null;

    private static int Int(IQueryCollection q, string name, int fallback, int min, int max)
    {
        var s = Get(q, name);
        if (s is null) return fallback;
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw new ArgumentException($"{name}: '{s}' is not valid: give a whole number from {min} to {max}");
        return v;
    }

    private static double ParseDouble(string name, string s, double min, double max) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max ? v
            : throw new ArgumentException($"{name}: '{s}' is not valid: give a number from {min} to {max}");

    private static bool Bool(IQueryCollection q, string name, bool fallback)
    {
        var s = Get(q, name);
        if (s is null) return fallback;
        return s.ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw new ArgumentException($"{name}: '{s}' is not valid: use true or false"),
        };
    }
}
