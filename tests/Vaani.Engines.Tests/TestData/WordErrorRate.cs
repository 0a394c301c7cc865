namespace Vaani.Engines.Tests.TestData;

/// <summary>
/// Word error rate by word-level Levenshtein distance (substitutions + deletions + insertions over
/// reference words). Text is lower-cased and stripped of punctuation first. Shared by the engine
/// tests and usable by the benchmark.
/// </summary>
public static class WordErrorRate
{
    /// <summary>Edit operations needed to turn the reference into the hypothesis, and the reference length.</summary>
    public readonly record struct Result(int Errors, int ReferenceWords)
    {
        public double Rate => ReferenceWords == 0 ? (Errors == 0 ? 0 : 1) : (double)Errors / ReferenceWords;

        public static Result operator +(Result a, Result b) => new(a.Errors + b.Errors, a.ReferenceWords + b.ReferenceWords);
    }

    public static Result Compute(string reference, string hypothesis)
    {
        var r = Tokenize(reference);
        var h = Tokenize(hypothesis);
        var previous = new int[h.Length + 1];
        var current = new int[h.Length + 1];
        for (var j = 0; j <= h.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= r.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= h.Length; j++)
            {
                var substitution = previous[j - 1] + (r[i - 1] == h[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            (previous, current) = (current, previous);
        }
        return new Result(previous[h.Length], r.Length);
    }

    /// <summary>Lower-case words; punctuation other than apostrophes removed.</summary>
    public static string[] Tokenize(string text)
    {
        var chars = text.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) || c == '\'' ? c : ' ').ToArray();
        return new string(chars).Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }
}
