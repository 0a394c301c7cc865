using Vaani.Engines;
using Vaani.Speech.Transcripts;

namespace Vaani.Gateway.Compat.Deepgram;

/// <summary>
/// Deepgram's word objects from Vaani word timings. With <c>punctuate</c>/<c>smart_format</c> an
/// utterance's first word is capitalised and its last ends with a full stop (the engine produces
/// neither); with <c>diarize</c> every word gets speaker 0, since one speaker is assumed.
/// </summary>
internal static class DeepgramWords
{
    public sealed record Word([property: System.Text.Json.Serialization.JsonPropertyName("word")] string Text, double Start, double End, double Confidence, string? PunctuatedWord, int? Speaker, double? SpeakerConfidence);

    public static Word[] From(IReadOnlyList<WordTiming> words, bool punctuate, bool diarize, bool final = true)
    {
        var result = new Word[words.Count];
        for (int i = 0; i < words.Count; i++)
        {
            var w = words[i];
            string? punctuated = punctuate ? Punctuated(w.Word, i == 0, final && i == words.Count - 1) : null;
            result[i] = new Word(w.Word, Sec(w.Start), Sec(w.End), Math.Round(w.Confidence, 4), punctuated, diarize ? 0 : null, diarize ? 1.0 : null);
        }
        return result;
    }

    /// <summary>The transcript of an utterance: punctuated words when asked for, else the engine's text.</summary>
    public static string Transcript(string text, Word[] words, bool punctuate) =>
        punctuate && words.Length > 0 ? string.Join(' ', words.Select(w => w.PunctuatedWord)) :
        punctuate && text.Length > 0 ? Punctuated(text, true, false) : text;

    private static string Punctuated(string word, bool first, bool last)
    {
        var s = first && word.Length > 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word;
        return last && !s.EndsWith('.') ? s + "." : s;
    }

    public static double Sec(TimeSpan t) => TranscriptFormatter.Seconds(t);
}
