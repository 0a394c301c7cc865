using Vaani.Engines;

namespace Vaani.Gateway.Compat.Deepgram;

/// <summary>Server messages of Deepgram's live <c>/v1/listen</c> socket, built from session events.</summary>
internal sealed class DeepgramLiveMessages(string requestId, string pool, string engine, DeepgramListenOptions options, int totalChannels)
{
    private readonly object _metadata = new { request_id = requestId, model_info = DeepgramIds.ModelInfo(pool, engine), model_uuid = DeepgramIds.ModelUuid(pool) };

    /// <summary>The message for one event of channel <paramref name="channel"/>; null when the options leave it out.</summary>
    /// <param name="fromFinalize">For a final: true when it answers a client Finalize.</param>
    public object? From(SttEvent e, int channel, bool fromFinalize) => e switch
    {
        SttPartial p when options.InterimResults => Results(channel, p.Start, p.End, p.Text, [], 0, isFinal: false, speechFinal: false, fromFinalize: false),
        SttFinal f => Results(channel, f.Start, f.End, f.Text, DeepgramWords.From(f.Words, options.Punctuate, options.Diarize), f.Confidence,
            isFinal: true, speechFinal: !f.FromFinalize, fromFinalize: fromFinalize),
        SttSpeechStarted s when options.VadEvents => new { type = "SpeechStarted", channel = new[] { channel, totalChannels }, timestamp = DeepgramWords.Sec(s.Timestamp) },
        SttUtteranceEnd u when options.UtteranceEndMs is not null => new { type = "UtteranceEnd", channel = new[] { channel, totalChannels }, last_word_end = DeepgramWords.Sec(u.LastWordEnd) },
        _ => null,
    };

    private object Results(int channel, TimeSpan start, TimeSpan end, string text, DeepgramWords.Word[] words, double confidence, bool isFinal, bool speechFinal, bool fromFinalize) => new
    {
        type = "Results",
        channel_index = new[] { channel, totalChannels },
        duration = DeepgramWords.Sec(end - start),
        start = DeepgramWords.Sec(start),
        is_final = isFinal,
        speech_final = speechFinal,
        from_finalize = fromFinalize,
        channel = new
        {
            alternatives = new[]
            {
                new { transcript = DeepgramWords.Transcript(text, words, options.Punctuate), confidence = Math.Round(confidence, 4), words },
            },
        },
        metadata = _metadata,
    };

    /// <summary>The summary sent before a normal close.</summary>
    public object Metadata(DateTimeOffset created, double durationSeconds) => new
    {
        type = "Metadata",
        transaction_key = "deprecated",
        request_id = requestId,
        sha256 = "",
        created = created.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
        duration = Math.Round(durationSeconds, 3),
        channels = totalChannels,
        models = new[] { DeepgramIds.ModelUuid(pool) },
        model_info = new Dictionary<string, object> { [DeepgramIds.ModelUuid(pool)] = DeepgramIds.ModelInfo(pool, engine) },
    };
}
