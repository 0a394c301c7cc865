namespace Vaani.Engines.ESpeak;

/// <summary>
/// Turns eSpeak word events (start of a word: text position, length, audio position) into
/// <see cref="TtsWord"/>s with a start and an end. A word ends where the next one starts, at a
/// clause end, or at the end of the audio, trimmed of trailing silence. Words are released only
/// once the audio covering them has been produced, because eSpeak reports events ahead of the
/// audio they describe.
/// </summary>
internal sealed class WordTimingTracker
{
    private readonly string _text;
    private readonly TextPositionMap _map;
    private readonly SpeechActivity _activity;
    private readonly bool _trimSilence;
    private readonly Queue<Span> _closed = new();
    private Span? _pending;
    private TimeSpan _lastStart;
    private int _nextOffset;

    public WordTimingTracker(string text, TextPositionMap map, SpeechActivity activity, bool trimSilence)
    {
        _text = text;
        _map = map;
        _activity = activity;
        _trimSilence = trimSilence;
    }

    /// <summary>A word event: <paramref name="position"/> and <paramref name="length"/> in eSpeak's code-point units.</summary>
    public void OnWord(int position, int length, int audioPositionMs)
    {
        if (!_map.TryMap(position, length, out var offset, out var utf16Length))
            return;
        // eSpeak emits several events for one written token it expands ("123", "3.5", an emoji's
        // name), pointing inside or back into it: they stay one word of the request text.
        if (offset < _nextOffset)
            return;
        var start = Max(TimeSpan.FromMilliseconds(audioPositionMs), _lastStart);
        Close(start);
        _pending = new Span(offset, utf16Length, start, start);
        _lastStart = start;
        _nextOffset = offset + utf16Length;
    }

    /// <summary>A clause or sentence ended at <paramref name="audioPositionMs"/>.</summary>
    public void OnClauseEnd(int audioPositionMs) => Close(TimeSpan.FromMilliseconds(audioPositionMs));

    /// <summary>Words whose audio has been produced completely.</summary>
    public List<TtsWord> TakeReady()
    {
        var ready = new List<TtsWord>();
        while (_closed.Count > 0 && _closed.Peek().End <= _activity.Duration)
            ready.Add(Release(_closed.Dequeue(), _activity.Duration));
        _activity.DiscardBefore(_closed.Count > 0 ? _closed.Peek().Start : _pending?.Start ?? _activity.Duration);
        return ready;
    }

    /// <summary>The audio is complete: every remaining word, clamped to the audio.</summary>
    public List<TtsWord> Complete()
    {
        Close(_activity.Duration);
        var rest = new List<TtsWord>();
        while (_closed.Count > 0)
            rest.Add(Release(_closed.Dequeue(), _activity.Duration));
        return rest;
    }

    private void Close(TimeSpan end)
    {
        if (_pending is not { } p)
            return;
        _closed.Enqueue(p with { End = Max(end, p.Start) });
        _pending = null;
    }

    private TtsWord Release(Span span, TimeSpan audioEnd)
    {
        var start = Min(span.Start, audioEnd);
        var end = Min(span.End, audioEnd);
        if (_trimSilence && _activity.LastSoundWithin(start, end) is { } sound)
            end = Max(start, Min(sound, end));
        return new TtsWord(_text.Substring(span.Offset, span.Length), start, end, span.Offset, span.Length);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private readonly record struct Span(int Offset, int Length, TimeSpan Start, TimeSpan End);
}
