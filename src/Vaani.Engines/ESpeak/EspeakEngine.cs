namespace Vaani.Engines.ESpeak;

/// <summary>Creates the eSpeak NG text-to-speech engine (libespeak-ng.so.1, voices in espeak-ng-data).</summary>
public static class EspeakEngine
{
    /// <summary>Engine name in <see cref="EngineCapabilities.Name"/>.</summary>
    public const string Name = "espeak-ng";

    /// <summary>
    /// Starts the process's eSpeak NG synthesizer on first use and returns an engine over it.
    /// Throws <see cref="EngineException"/> (<c>engine_unavailable</c>) when the library or its data is missing.
    /// </summary>
    public static ITextToSpeechEngine Create(EspeakOptions? options = null) =>
        new EspeakTextToSpeechEngine(options ?? new EspeakOptions());
}
