using System.Globalization;
using Vaani.Speech.Transcripts;

namespace Vaani.Gateway.Compat.Deepgram;

/// <summary>Deepgram's pre-recorded response (<c>metadata</c> + <c>results.channels[].alternatives[]</c>, optional <c>utterances</c>).</summary>
internal static class DeepgramPrerecordedResponse
{
    public static object Build(Transcript transcript, DeepgramListenOptions options, string requestId, string sha256, string pool, string engine, DateTimeOffset created)
    {
        var segments = transcript.Segments.Where(s => s.Text.Length > 0 || s.Words.Count > 0).ToArray();
        var words = DeepgramWords.From(transcript.Words.ToArray(), false, options.Diarize);
        // Punctuation is per utterance: capitalise each segment's first word, end each with a full stop.
        if (options.Punctuate)
            words = segments.SelectMany(s => DeepgramWords.From(s.Words, true, options.Diarize)).ToArray();
        double confidence = segments.Length == 0 ? 0 : Math.Round(segments.Average(s => s.Confidence), 4);
        var uuid = DeepgramIds.ModelUuid(pool);
        object? utterances = null;
        if (options.Utterances)
        {
            utterances = SplitUtterances(transcript, options).Select(u =>
            {
                var w = DeepgramWords.From(u, options.Punctuate, options.Diarize);
                return new
                {
                    start = DeepgramWords.Sec(u[0].Start),
                    end = DeepgramWords.Sec(u[^1].End),
                    confidence = Math.Round(u.Average(x => x.Confidence), 4),
                    channel = 0,
                    transcript = DeepgramWords.Transcript(string.Join(' ', u.Select(x => x.Word)), w, options.Punctuate),
                    words = w,
                    speaker = options.Diarize ? 0 : (int?)null,
                    id = Guid.NewGuid().ToString(),
                };
            }).ToArray();
        }
        return new
        {
            metadata = new
            {
                transaction_key = "deprecated",
                request_id = requestId,
                sha256,
                created = created.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
                duration = DeepgramWords.Sec(transcript.Duration),
                channels = 1,
                models = new[] { uuid },
                model_info = new Dictionary<string, object> { [uuid] = DeepgramIds.ModelInfo(pool, engine) },
            },
            results = new
            {
                channels = new[]
                {
                    new
                    {
                        alternatives = new[]
                        {
                            new { transcript = options.Punctuate ? string.Join(' ', words.Select(w => w.PunctuatedWord)) : transcript.Text, confidence, words },
                        },
                    },
                },
                utterances,
            },
        };
    }

    /// <summary>Utterances: each segment, split further where words are more than <c>utt_split</c> seconds apart.</summary>
    private static IEnumerable<Vaani.Engines.WordTiming[]> SplitUtterances(Transcript transcript, DeepgramListenOptions options)
    {
        var gap = TimeSpan.FromSeconds(options.UttSplit);
        foreach (var segment in transcript.Segments)
        {
            var current = new List<Vaani.Engines.WordTiming>();
            foreach (var w in segment.Words)
            {
                if (current.Count > 0 && w.Start - current[^1].End > gap)
                {
                    yield return current.ToArray();
                    current.Clear();
                }
                current.Add(w);
            }
            if (current.Count > 0) yield return current.ToArray();
        }
    }
}
