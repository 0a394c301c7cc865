using Vaani.Engines;

namespace Vaani.Gateway.Routing;

/// <summary>
/// Routes by language prefix over a fixed set of pools: <c>en-US</c> matches a pool declaring
/// <c>en-US</c>, then one declaring <c>en</c>; TTS voice ids match exactly.
/// </summary>
public sealed class StaticEngineRouter : IEngineRouter
{
    private readonly IReadOnlyList<EnginePool<ISpeechToTextEngine>> _stt;
    private readonly IReadOnlyList<EnginePool<ITextToSpeechEngine>> _tts;

    public StaticEngineRouter(IEnumerable<EnginePool<ISpeechToTextEngine>> stt, IEnumerable<EnginePool<ITextToSpeechEngine>> tts)
    {
        _stt = stt.ToArray();
        _tts = tts.ToArray();
        Pools = [.. _stt, .. _tts];
    }

    public IReadOnlyList<IEnginePool> Pools { get; }

    public EnginePool<ISpeechToTextEngine>? FindStt(string language) => Match(_stt, language);

    public EnginePool<ITextToSpeechEngine>? FindTts(string? voice, string? language)
    {
        if (!string.IsNullOrEmpty(voice))
        {
            return _tts.FirstOrDefault(p => p.Capabilities.Voices.Any(v => string.Equals(v.Id, voice, StringComparison.OrdinalIgnoreCase)))
                ?? Match(_tts, voice); // a voice id that is a language code
        }
        return string.IsNullOrEmpty(language) ? (_tts.Count > 0 ? _tts[0] : null) : Match(_tts, language);
    }

    private static EnginePool<T>? Match<T>(IReadOnlyList<EnginePool<T>> pools, string language) where T : class
    {
        var lang = language.Trim();
        var primary = lang.Split('-', '_')[0];
        return pools.FirstOrDefault(p => p.Capabilities.Languages.Any(l => string.Equals(l, lang, StringComparison.OrdinalIgnoreCase)))
            ?? pools.FirstOrDefault(p => p.Capabilities.Languages.Any(l => string.Equals(l.Split('-', '_')[0], primary, StringComparison.OrdinalIgnoreCase)));
    }
}
