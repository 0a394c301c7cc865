using Vaani.Engines;

namespace Vaani.Workers.Protocol;

/// <summary>
/// The JSON shape of an <see cref="SttEvent"/> on the wire. Times are integer ticks (100 ns) so
/// they cross the process boundary exactly, which replay and monotonic-timestamp checks rely on.
/// Settable properties rather than init-only ones: the JSON reader then sets each as it reads it,
/// instead of collecting them all (boxed) to build the object at the end. A missing kind is caught
/// by <see cref="ToEvent"/>.
/// </summary>
internal sealed record WireSttEvent
{
    public string? Kind { get; set; }
    public string? Text { get; set; }
    public long? Start { get; set; }
    public long? End { get; set; }
    public double? Confidence { get; set; }
    public bool? FromFinalize { get; set; }
    public IReadOnlyList<WireWord>? Words { get; set; }

    public static WireSttEvent From(SttEvent e) => e switch
    {
        SttSpeechStarted s => new() { Kind = "speech_started", Start = s.Timestamp.Ticks },
        SttPartial p => new() { Kind = "partial", Text = p.Text, Start = p.Start.Ticks, End = p.End.Ticks },
        SttFinal f => new()
        {
            Kind = "final", Text = f.Text, Start = f.Start.Ticks, End = f.End.Ticks, Confidence = f.Confidence,
            FromFinalize = f.FromFinalize, Words = f.Words.Select(w => new WireWord(w.Word, w.Start.Ticks, w.End.Ticks, w.Confidence)).ToList(),
        },
        SttUtteranceEnd u => new() { Kind = "utterance_end", End = u.LastWordEnd.Ticks },
        _ => throw new EngineException("engine_failed", $"the engine produced an unknown event type {e.GetType().Name}", isPermanent: false),
    };

    public SttEvent ToEvent() => Kind switch
    {
        "speech_started" => new SttSpeechStarted(Ticks(Start)),
        "partial" => new SttPartial(Text ?? "", Ticks(Start), Ticks(End)),
        "final" => new SttFinal(Text ?? "", (Words ?? []).Select(w => new WordTiming(w.Word, TimeSpan.FromTicks(w.Start), TimeSpan.FromTicks(w.End), w.Confidence)).ToList(),
            Confidence ?? 0, Ticks(Start), Ticks(End)) { FromFinalize = FromFinalize ?? false },
        "utterance_end" => new SttUtteranceEnd(Ticks(End)),
        null => throw new ProtocolException("bad_payload", "an STT event without a \"kind\""),
        _ => throw new ProtocolException("bad_payload", $"unknown STT event kind '{Kind}'"),
    };

    private static TimeSpan Ticks(long? ticks) => TimeSpan.FromTicks(ticks ?? 0);
}

/// <summary>A word on the wire; times in ticks.</summary>
internal sealed record WireWord(string Word, long Start, long End, double Confidence);
