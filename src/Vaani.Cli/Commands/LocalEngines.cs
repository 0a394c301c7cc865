using Vaani.Engines;
using Vaani.Engines.ESpeak;
using Vaani.Engines.PocketSphinx;

namespace Vaani.Cli.Commands;

/// <summary>
/// The embedded engines, created in this process (the CLI commands and worker processes; never
/// the gateway). Pool names: <c>stt-en</c> (PocketSphinx), <c>tts</c> (eSpeak NG).
/// </summary>
internal static class LocalEngines
{
    public const string SttEnglishPool = "stt-en";
    public const string TtsPool = "tts";

    /// <summary>A PocketSphinx engine for <paramref name="language"/> with a pool of <paramref name="decoders"/> decoders.</summary>
    public static async Task<PocketSphinxEngine> CreateSttAsync(string language, CancellationToken ct, int decoders = 1)
    {
        var primary = language.Split('-', '_')[0].ToLowerInvariant();
        if (primary != "en")
            throw new EngineException("unsupported_language", $"no speech-to-text model for language '{language}': the installed model is en-US", isPermanent: true);
        var options = new PocketSphinxOptions { PoolSize = decoders };
        return await PocketSphinxEngine.CreateAsync(options, ct);
    }

    public static ITextToSpeechEngine CreateTts() => EspeakEngine.Create();
}
