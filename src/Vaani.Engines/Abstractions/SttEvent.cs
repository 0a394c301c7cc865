namespace Vaani.Engines;

/// <summary>An event from a recognition session. Times are offsets from the start of the session's audio.</summary>
public abstract record SttEvent;

/// <summary>Voice activity began.</summary>
public sealed record SttSpeechStarted(TimeSpan Timestamp) : SttEvent;

/// <summary>An interim hypothesis for the utterance in progress; later events may revise it.</summary>
public sealed record SttPartial(string Text, TimeSpan Start, TimeSpan End) : SttEvent;

/// <summary>
/// The final result for one utterance (the audio between <see cref="Start"/> and <see cref="End"/>).
/// Filler and silence tokens are removed. <see cref="Text"/> may be empty when the span held no words.
/// </summary>
public sealed record SttFinal(string Text, IReadOnlyList<WordTiming> Words, double Confidence, TimeSpan Start, TimeSpan End) : SttEvent
{
    /// <summary>True when the final was forced by finalize/complete rather than by endpointing.</summary>
    public bool FromFinalize { get; init; }
}

/// <summary>Speech ended (endpointing silence elapsed) after the last word at <paramref name="LastWordEnd"/>.</summary>
public sealed record SttUtteranceEnd(TimeSpan LastWordEnd) : SttEvent;

/// <summary>A recognised word. Confidence is in [0, 1].</summary>
public sealed record WordTiming(string Word, TimeSpan Start, TimeSpan End, double Confidence);
