using Vaani.Engines;

namespace Vaani.Speech.Transcripts;

/// <summary>The result of transcribing a whole input: its final segments in time order.</summary>
public sealed record Transcript(IReadOnlyList<SttFinal> Segments, TimeSpan Duration, string Language)
{
    /// <summary>The whole text: non-empty segment texts joined by single spaces.</summary>
    public string Text => string.Join(' ', Segments.Select(s => s.Text).Where(t => t.Length > 0));

    /// <summary>Every word of every segment, in order.</summary>
    public IEnumerable<WordTiming> Words => Segments.SelectMany(s => s.Words);
}
