namespace Vaani.Engines.PocketSphinx;

/// <summary>
/// Turns PocketSphinx tokens into client words: sentence markers, silence and filler tokens
/// (<c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;sil&gt;</c>, <c>[NOISE]</c>, <c>++BREATH++</c>, <c>+um+</c>)
/// are dropped and alternate pronunciations (<c>read(2)</c>) are reduced to their base word.
/// </summary>
internal static class WordNormalizer
{
    /// <summary>The client word for <paramref name="token"/>, or null when the token is not a word.</summary>
    public static string? Normalize(string token)
    {
        var t = token.Trim();
        if (t.Length == 0)
            return null;
        if (t[0] is '<' or '[' or '+')
            return null;
        if (t[^1] == ')')
        {
            var open = t.LastIndexOf('(');
            if (open > 0 && IsDigits(t.AsSpan(open + 1, t.Length - open - 2)))
                t = t[..open];
        }
        return t.Length == 0 ? null : t;
    }

    /// <summary>Normalises every word of a space-separated hypothesis and joins the survivors.</summary>
    public static string NormalizeText(string hypothesis)
    {
        if (hypothesis.Length == 0)
            return string.Empty;
        var words = new List<string>();
        foreach (var token in hypothesis.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Normalize(token) is { } w)
                words.Add(w);
        }
        return string.Join(' ', words);
    }

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty)
            return false;
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
                return false;
        }
        return true;
    }
}
