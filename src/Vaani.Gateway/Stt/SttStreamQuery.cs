using System.Globalization;
using Microsoft.AspNetCore.Http;
using Vaani.Audio;

namespace Vaani.Gateway.Stt;

/// <summary>Validated query parameters of <c>/v1/stt/stream</c>.</summary>
public sealed record SttStreamQuery(AudioFormat Format, string Language, bool InterimResults, TimeSpan? Endpointing, bool Words)
{
    /// <summary>Parses the query; on failure returns the offending field and why.</summary>
    public static SttStreamQuery Parse(IQueryCollection q)
    {
        var encoding = AudioFormat.ParseEncoding(Get(q, "encoding") ?? "linear16");
        if (encoding == AudioEncoding.Opus)
            throw new QueryException("encoding", "opus streams are not accepted on this endpoint yet: send linear16, float32, mulaw or alaw");
        int rate = Int(q, "sample_rate", encoding is AudioEncoding.Mulaw or AudioEncoding.Alaw ? 8000 : 16000, 8000, 48000);
        int channels = Int(q, "channels", 1, 1, AudioFormat.MaxChannels);
        var language = Get(q, "language") ?? "en-US";
        bool interim = Bool(q, "interim_results", true);
        bool words = Bool(q, "words", true);
        TimeSpan? endpointing = TimeSpan.FromMilliseconds(500);
        var ep = Get(q, "endpointing");
        if (ep is not null)
        {
            if (ep.Equals("false", StringComparison.OrdinalIgnoreCase)) endpointing = null;
            else if (int.TryParse(ep, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= 60_000)
                endpointing = ms == 0 ? null : TimeSpan.FromMilliseconds(Math.Max(ms, 10));
            else throw new QueryException("endpointing", $"'{ep}' is not valid: give milliseconds of silence (0–60000) or false");
        }
        return new SttStreamQuery(new AudioFormat(encoding, rate, channels), language, interim, endpointing, words);
    }

    internal static string? Get(IQueryCollection q, string name) =>
        q.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;

    internal static int Int(IQueryCollection q, string name, int fallback, int min, int max)
    {
        var s = Get(q, name);
        if (s is null) return fallback;
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw new QueryException(name, $"'{s}' is not valid: give a whole number from {min} to {max}");
        return v;
    }

    internal static bool Bool(IQueryCollection q, string name, bool fallback)
    {
        var s = Get(q, name);
        if (s is null) return fallback;
        return s.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw new QueryException(name, $"'{s}' is not valid: use true or false"),
        };
    }
}

/// <summary>A request parameter that is invalid; <see cref="Field"/> names it.</summary>
public sealed class QueryException(string field, string message) : Exception($"{field}: {message}")
{
    public string Field { get; } = field;
}
