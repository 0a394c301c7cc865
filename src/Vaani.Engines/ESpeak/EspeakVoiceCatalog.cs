namespace Vaani.Engines.ESpeak;

/// <summary>
/// The installed voices and how requests select one: a voice id wins, else the best voice for the
/// language (exact tag, then the tag without its region, e.g. <c>hi-IN</c> → <c>hi</c>, then any
/// regional variant of the base language).
/// </summary>
internal sealed class EspeakVoiceCatalog
{
    private readonly Dictionary<string, EspeakInstalledVoice> _byId = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<EspeakInstalledVoice> _installed;

    public EspeakVoiceCatalog(IEnumerable<EspeakInstalledVoice> installed)
    {
        _installed = [.. installed.Where(v => v.Languages.Count > 0)];
        var voices = new List<VoiceInfo>();
        foreach (var voice in _installed)
        {
            var id = UniqueId(voice);
            _byId[id] = voice;
            voices.Add(new VoiceInfo(id, voice.Name, voice.Languages[0].Code, voice.Gender switch { 1 => "male", 2 => "female", _ => "unknown" }));
        }
        Voices = voices;
        Languages = [.. voices.Select(v => v.Language).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal)];
    }

    /// <summary>Every installed voice; the id is the voice's primary language where that is unique.</summary>
    public IReadOnlyList<VoiceInfo> Voices { get; }

    /// <summary>Primary language of every installed voice, sorted.</summary>
    public IReadOnlyList<string> Languages { get; }

    /// <summary>Picks the voice for a request; throws a permanent <see cref="EngineException"/> when none fits.</summary>
    public EspeakInstalledVoice Resolve(string? voice, string? language, string defaultLanguage)
    {
        if (!string.IsNullOrWhiteSpace(voice))
        {
            var wanted = voice.Trim();
            if (_byId.TryGetValue(wanted, out var byId))
                return byId;
            var byFile = _installed.FirstOrDefault(v =>
                string.Equals(v.Identifier, wanted, StringComparison.OrdinalIgnoreCase) ||
                string.Equals(v.Name, wanted, StringComparison.OrdinalIgnoreCase));
            return byFile ?? throw new EngineException("unknown_voice",
                $"voice '{wanted}' is not installed for espeak-ng; `vaani voices` (or GET /v1/voices) lists the installed voices",
                isPermanent: true);
        }

        var tag = string.IsNullOrWhiteSpace(language) ? defaultLanguage : language.Trim();
        return ForLanguage(tag) ?? throw new EngineException("unsupported_language",
            $"language '{tag}' has no espeak-ng voice; `vaani voices` (or GET /v1/voices) lists the installed voices",
            isPermanent: true);
    }

    private EspeakInstalledVoice? ForLanguage(string tag)
    {
        var normal = tag.Replace('_', '-').ToLowerInvariant();
        var dash = normal.IndexOf('-', StringComparison.Ordinal);
        var bare = dash > 0 ? normal[..dash] : normal;
        return Best(code => code == normal)
            ?? (dash > 0 ? Best(code => code == bare) : null)
            ?? Best(code => code.StartsWith(bare + "-", StringComparison.Ordinal));
    }

    private EspeakInstalledVoice? Best(Func<string, bool> matches)
    {
        EspeakInstalledVoice? best = null;
        var bestPriority = int.MaxValue;
        foreach (var voice in _installed)
        {
            foreach (var language in voice.Languages)
            {
                if (language.Priority < bestPriority && matches(language.Code.ToLowerInvariant()))
                {
                    best = voice;
                    bestPriority = language.Priority;
                }
            }
        }
        return best;
    }

    // Ids must be unique: two voices can share a primary language (yue and yue-Latn-jyutping).
    private string UniqueId(EspeakInstalledVoice voice)
    {
        var primary = voice.Languages[0].Code.ToLowerInvariant();
        if (!_byId.ContainsKey(primary))
            return primary;
        var file = voice.Identifier[(voice.Identifier.LastIndexOf('/') + 1)..].ToLowerInvariant();
        return _byId.ContainsKey(file) ? voice.Identifier : file;
    }
}
