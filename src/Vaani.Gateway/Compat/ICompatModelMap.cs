namespace Vaani.Gateway.Compat;

/// <summary>A Vaani voice chosen for a foreign model or voice name.</summary>
/// <param name="Voice">Vaani voice id (GET /v1/voices), passed to the router.</param>
/// <param name="Pitch">Pitch 0–100 that gives the name its character (50 = voice default).</param>
public sealed record CompatVoice(string Voice, int Pitch);

/// <summary>
/// Maps the model and voice names of the compatible APIs (Deepgram, OpenAI) to Vaani voices and
/// routing languages. The one place these names are interpreted: when routing moves to the
/// control plane, this component is replaced by a snapshot-backed one.
/// </summary>
public interface ICompatModelMap
{
    /// <summary>True when <paramref name="model"/> names a speech-to-text model of <paramref name="api"/> (or a Vaani pool).</summary>
    bool IsSttModel(CompatApi api, string model);

    /// <summary>True when <paramref name="model"/> names an OpenAI text-to-speech model (or a Vaani pool).</summary>
    bool IsOpenAiTtsModel(string model);

    /// <summary>The voice for a Deepgram Aura model name (<c>aura-2-thalia-en</c>), or null when unknown.</summary>
    CompatVoice? DeepgramVoice(string model);

    /// <summary>The voice for an OpenAI voice name (<c>alloy</c>) or a Vaani voice id, or null when unknown.</summary>
    CompatVoice? OpenAiVoice(string voice);
}

/// <summary>Which compatible API a name comes from.</summary>
public enum CompatApi { Deepgram, OpenAi }
