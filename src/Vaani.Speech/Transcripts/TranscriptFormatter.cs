using System.Globalization;
using System.Text;
using System.Text.Json;
using Vaani.Engines;

namespace Vaani.Speech.Transcripts;

/// <summary>Renders a <see cref="Transcript"/> as plain text, JSON, SubRip (SRT) or WebVTT.</summary>
public static class TranscriptFormatter
{
    /// <summary>Longest caption cue; longer segments are split at word boundaries.</summary>
    public static readonly TimeSpan MaxCueDuration = TimeSpan.FromSeconds(7);

    public static TranscriptFormat Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "text" or "txt" => TranscriptFormat.Text,
        "json" => TranscriptFormat.Json,
        "srt" => TranscriptFormat.Srt,
        "vtt" or "webvtt" => TranscriptFormat.Vtt,
        _ => throw new ArgumentException($"format '{name}' is not supported: use text, json, srt or vtt"),
    };

    public static string Format(Transcript transcript, TranscriptFormat format) => format switch
    {
        TranscriptFormat.Text => transcript.Text + "\n",
        TranscriptFormat.Json => ToJson(transcript),
        TranscriptFormat.Srt => ToCaptions(transcript, srt: true),
        TranscriptFormat.Vtt => ToCaptions(transcript, srt: false),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>
    /// JSON: <c>{"text","language","duration","segments":[{"start","end","text","confidence","words":[{"word","start","end","confidence"}]}]}</c>,
    /// times in seconds.
    /// </summary>
    public static string ToJson(Transcript transcript)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("text", transcript.Text);
            w.WriteString("language", transcript.Language);
            w.WriteNumber("duration", Seconds(transcript.Duration));
            w.WriteStartArray("segments");
            foreach (var s in transcript.Segments.Where(s => s.Words.Count > 0 || s.Text.Length > 0))
            {
                w.WriteStartObject();
                w.WriteNumber("start", Seconds(s.Start));
                w.WriteNumber("end", Seconds(s.End));
                w.WriteString("text", s.Text);
                w.WriteNumber("confidence", Math.Round(s.Confidence, 4));
                w.WriteStartArray("words");
                foreach (var word in s.Words)
                    WriteWord(w, word);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    internal static void WriteWord(Utf8JsonWriter w, WordTiming word)
    {
        w.WriteStartObject();
        w.WriteString("word", word.Word);
        w.WriteNumber("start", Seconds(word.Start));
        w.WriteNumber("end", Seconds(word.End));
        w.WriteNumber("confidence", Math.Round(word.Confidence, 4));
        w.WriteEndObject();
    }

    /// <summary>Seconds rounded to milliseconds, the precision every output carries.</summary>
    public static double Seconds(TimeSpan t) => Math.Round(t.TotalSeconds, 3);

    private static string ToCaptions(Transcript transcript, bool srt)
    {
        var sb = new StringBuilder();
        if (!srt) sb.Append("WEBVTT\n\n");
        int index = 1;
        foreach (var cue in Cues(transcript))
        {
            if (srt) sb.Append(index.ToString(CultureInfo.InvariantCulture)).Append('\n');
            sb.Append(Stamp(cue.Start, srt)).Append(" --> ").Append(Stamp(cue.End, srt)).Append('\n');
            sb.Append(cue.Text).Append("\n\n");
            index++;
        }
        return sb.ToString();
    }

    private static IEnumerable<(TimeSpan Start, TimeSpan End, string Text)> Cues(Transcript transcript)
    {
        foreach (var segment in transcript.Segments)
        {
            if (segment.Words.Count == 0)
            {
                if (segment.Text.Length > 0) yield return (segment.Start, segment.End, segment.Text);
                continue;
            }
            var current = new List<WordTiming>();
            foreach (var word in segment.Words)
            {
                if (current.Count > 0 && word.End - current[0].Start > MaxCueDuration)
                {
                    yield return (current[0].Start, current[^1].End, string.Join(' ', current.Select(x => x.Word)));
                    current.Clear();
                }
                current.Add(word);
            }
            if (current.Count > 0)
                yield return (current[0].Start, current[^1].End, string.Join(' ', current.Select(x => x.Word)));
        }
    }

    private static string Stamp(TimeSpan t, bool srt)
    {
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        var sep = srt ? ',' : '.';
        return string.Create(CultureInfo.InvariantCulture,
            $"{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}{sep}{t.Milliseconds:000}");
    }
}
