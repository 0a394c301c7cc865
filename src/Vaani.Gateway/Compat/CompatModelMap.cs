using System.Collections.Frozen;
using Vaani.Gateway.Routing;

namespace Vaani.Gateway.Compat;

/// <summary>
/// The built-in mapping table (documented in docs/compat-deepgram.md and docs/compat-openai.md).
/// Speech-to-text models all route by language, since one model per language is served; voices map
/// to the eSpeak NG voice of their language with a pitch that follows the original's gender.
/// </summary>
internal sealed class CompatModelMap(IEngineRouter router) : ICompatModelMap
{
    private const int Female = 70, Male = 40;

    /// <summary>Aura voice names and their pitch (Aura 1 and Aura 2).</summary>
    private static readonly FrozenDictionary<string, int> AuraNames = new Dictionary<string, int>
    {
        // English
        ["angus"] = Male, ["arcas"] = Male, ["asteria"] = Female, ["athena"] = Female, ["helios"] = Male, ["hera"] = Female,
        ["luna"] = Female, ["orion"] = Male, ["orpheus"] = Male, ["perseus"] = Male, ["stella"] = Female, ["zeus"] = Male,
        ["amalthea"] = Female, ["andromeda"] = Female, ["apollo"] = Male, ["aries"] = Male, ["atlas"] = Male, ["aurora"] = Female,
        ["callista"] = Female, ["cora"] = Female, ["cordelia"] = Female, ["delia"] = Female, ["draco"] = Male, ["electra"] = Female,
        ["harmonia"] = Female, ["helena"] = Female, ["hermes"] = Male, ["hyperion"] = Male, ["iris"] = Female, ["janus"] = Female,
        ["juno"] = Female, ["jupiter"] = Male, ["mars"] = Male, ["minerva"] = Female, ["neptune"] = Male, ["odysseus"] = Male,
        ["ophelia"] = Female, ["pandora"] = Female, ["phoebe"] = Female, ["pluto"] = Male, ["saturn"] = Male, ["selene"] = Female,
        ["thalia"] = Female, ["theia"] = Female, ["vesta"] = Female,
        // Spanish
        ["agustina"] = Female, ["alvaro"] = Male, ["antonia"] = Female, ["aquila"] = Male, ["carina"] = Female, ["celeste"] = Female,
        ["diana"] = Female, ["estrella"] = Female, ["gloria"] = Female, ["javier"] = Male, ["luciano"] = Male, ["nestor"] = Male,
        ["olivia"] = Female, ["selena"] = Female, ["silvia"] = Female, ["sirio"] = Male, ["valerio"] = Male,
        // German, Dutch, French, Italian, Japanese
        ["aurelia"] = Female, ["elara"] = Female, ["fabian"] = Male, ["julius"] = Male, ["kara"] = Female, ["lara"] = Female, ["viktoria"] = Female,
        ["beatrix"] = Female, ["cornelia"] = Female, ["daphne"] = Female, ["hestia"] = Female, ["lars"] = Male, ["leda"] = Female,
        ["rhea"] = Female, ["roman"] = Male, ["sander"] = Male, ["agathe"] = Female, ["hector"] = Male,
        ["cesare"] = Male, ["cinzia"] = Female, ["demetra"] = Female, ["dionisio"] = Male, ["elio"] = Male, ["flavio"] = Male,
        ["livia"] = Female, ["maia"] = Female, ["melia"] = Female, ["perseo"] = Male,
        ["ama"] = Female, ["ebisu"] = Male, ["fujin"] = Male, ["izanami"] = Female, ["uzume"] = Female,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>Aura language suffix → eSpeak NG voice.</summary>
    private static readonly FrozenDictionary<string, string> AuraLanguages = new Dictionary<string, string>
    {
        ["en"] = "en-us", ["es"] = "es", ["de"] = "de", ["nl"] = "nl", ["fr"] = "fr-fr", ["it"] = "it", ["ja"] = "ja",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>OpenAI voices → eSpeak NG voice and pitch.</summary>
    private static readonly FrozenDictionary<string, CompatVoice> OpenAiVoices = new Dictionary<string, CompatVoice>
    {
        ["alloy"] = new("en-us", 55), ["ash"] = new("en-us", 40), ["ballad"] = new("en-gb", 45), ["coral"] = new("en-us", 70),
        ["echo"] = new("en-us", 35), ["fable"] = new("en-gb", 50), ["nova"] = new("en-us", 75), ["onyx"] = new("en-us", 25),
        ["sage"] = new("en-us", 65), ["shimmer"] = new("en-us", 80), ["verse"] = new("en-us", 45), ["marin"] = new("en-us", 65),
        ["cedar"] = new("en-us", 35),
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly string[] DeepgramSttFamilies = ["nova", "enhanced", "base", "whisper", "general", "phonecall", "meeting", "conversationalai", "voicemail", "finance", "video", "medical"];

    public bool IsSttModel(CompatApi api, string model)
    {
        var m = model.Trim();
        if (IsPool(m)) return true;
        return api switch
        {
            CompatApi.Deepgram => DeepgramSttFamilies.Any(f => m.Equals(f, StringComparison.OrdinalIgnoreCase) || m.StartsWith(f + "-", StringComparison.OrdinalIgnoreCase)),
            _ => m.Equals("whisper-1", StringComparison.OrdinalIgnoreCase)
                 || (m.StartsWith("gpt-4o", StringComparison.OrdinalIgnoreCase) && m.Contains("transcribe", StringComparison.OrdinalIgnoreCase)),
        };
    }

    public bool IsOpenAiTtsModel(string model)
    {
        var m = model.Trim();
        return IsPool(m) || m is "tts-1" or "tts-1-hd" || (m.StartsWith("gpt-4o", StringComparison.OrdinalIgnoreCase) && m.EndsWith("-tts", StringComparison.OrdinalIgnoreCase));
    }

    public CompatVoice? DeepgramVoice(string model)
    {
        // aura-<name>-<lang> or aura-2-<name>-<lang>
        var parts = model.Trim().ToLowerInvariant().Split('-');
        if (parts.Length < 3 || parts[0] != "aura") return null;
        int name = parts[1] == "2" ? 2 : 1;
        if (parts.Length != name + 2) return null;
        if (!AuraNames.TryGetValue(parts[name], out var pitch) || !AuraLanguages.TryGetValue(parts[^1], out var voice)) return null;
        return new CompatVoice(voice, pitch);
    }

    public CompatVoice? OpenAiVoice(string voice)
    {
        var v = voice.Trim();
        if (OpenAiVoices.TryGetValue(v, out var mapped)) return mapped;
        // A Vaani voice id (e.g. "hi") is accepted as is.
        return router.FindTts(v, null) is null ? null : new CompatVoice(v, 50);
    }

    private bool IsPool(string name) => router.Pools.Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
