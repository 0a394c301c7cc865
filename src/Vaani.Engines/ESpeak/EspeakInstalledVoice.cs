namespace Vaani.Engines.ESpeak;

/// <summary>
/// A voice file found under espeak-ng-data/voices.
/// <paramref name="Identifier"/> is the file name (e.g. <c>inc/hi</c>) and is the only string ever
/// passed to <c>espeak_SetVoiceByName</c>; <paramref name="Languages"/> are in the file's order,
/// a lower priority meaning a better fit.
/// </summary>
internal sealed record EspeakInstalledVoice(string Identifier, string Name, int Gender, IReadOnlyList<EspeakVoiceLanguage> Languages);

/// <summary>One language a voice serves and how well (lower priority = preferred).</summary>
internal readonly record struct EspeakVoiceLanguage(int Priority, string Code);
