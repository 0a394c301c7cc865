namespace Vaani.Engines.ESpeak;

/// <summary>
/// Maps eSpeak's text positions back to UTF-16 offsets of the request text.
/// eSpeak reports a 1-based position and a length counted in Unicode code points of the input as
/// given (SSML markup included), so a Devanagari conjunct or an emoji shifts UTF-16 and UTF-8 offsets
/// differently. In SSML the length counts decoded characters: <c>caf&amp;#233;</c> is four long,
/// so a character reference is walked as one character.
/// </summary>
internal sealed class TextPositionMap
{
    private readonly string _text;
    private readonly bool _ssml;
    // UTF-16 offset of every code point, plus one entry for the end of the text.
    private readonly int[] _offsets;

    public TextPositionMap(string text, bool ssml)
    {
        _text = text;
        _ssml = ssml;
        var offsets = new List<int>(text.Length + 1);
        for (var i = 0; i < text.Length; i++)
        {
            offsets.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
        }
        offsets.Add(text.Length);
        _offsets = [.. offsets];
    }

    /// <summary>
    /// Maps a word event to a span of the text. False when the position is outside the text
    /// (eSpeak emits position 0 for some generated words) or the span holds no visible text.
    /// </summary>
    public bool TryMap(int position, int length, out int offset, out int utf16Length)
    {
        offset = 0;
        utf16Length = 0;
        var index = position - 1;
        if (index < 0 || index >= _offsets.Length - 1)
            return false;
        var start = _offsets[index];
        var end = start;
        for (var n = 0; n < Math.Max(length, 1) && end < _text.Length; n++)
            end = NextCharacterEnd(end);
        // Trailing whitespace never belongs to a word.
        while (end > start && char.IsWhiteSpace(_text[end - 1]))
            end--;
        // eSpeak reports only the part of a token it speaks first ("Smith" of "Smith's", "e" of
        // "e-mail", "a" of "a@b.com"): the word is the whole written token, minus trailing punctuation.
        var reported = end;
        while (end < _text.Length && !char.IsWhiteSpace(_text[end]) && !(_ssml && _text[end] == '<'))
            end = NextCharacterEnd(end);
        while (end > reported && (char.IsPunctuation(_text[end - 1]) || char.IsSymbol(_text[end - 1])) && !EndsWithEntity(end))
            end--;
        if (end <= start)
            return false;
        offset = start;
        utf16Length = end - start;
        return true;
    }

    private bool EndsWithEntity(int end)
    {
        if (!_ssml || _text[end - 1] != ';')
            return false;
        var amp = _text.LastIndexOf('&', end - 1, Math.Min(MaxEntityLength, end));
        return amp >= 0 && _text.AsSpan(amp, end - amp).IndexOfAny(' ', '<') < 0;
    }

    private int NextCharacterEnd(int at)
    {
        if (_ssml && _text[at] == '&')
        {
            var semicolon = _text.IndexOf(';', at + 1, Math.Min(MaxEntityLength, _text.Length - at - 1));
            if (semicolon > 0)
                return semicolon + 1;
        }
        return char.IsHighSurrogate(_text[at]) && at + 1 < _text.Length && char.IsLowSurrogate(_text[at + 1]) ? at + 2 : at + 1;
    }

    // Longest named or numeric character reference worth walking as one character (&#x10FFFF; is 10).
    private const int MaxEntityLength = 12;
}
