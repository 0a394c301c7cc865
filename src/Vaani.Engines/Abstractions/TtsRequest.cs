namespace Vaani.Engines;

/// <summary>One synthesis request.</summary>
public sealed record TtsRequest
{
    /// <summary>Plain text, or SSML when <see cref="IsSsml"/> is true.</summary>
    public required string Text { get; init; }
    public bool IsSsml { get; init; }
    /// <summary>Voice id (see <see cref="EngineCapabilities.Voices"/>); wins over <see cref="Language"/>.</summary>
    public string? Voice { get; init; }
    /// <summary>Language code used to pick a voice when <see cref="Voice"/> is null.</summary>
    public string? Language { get; init; }
    /// <summary>Speaking rate multiplier, 0.25–4.0 (1.0 = engine default).</summary>
    public double Rate { get; init; } = 1.0;
    /// <summary>Pitch, 0–100 (50 = engine default).</summary>
    public int Pitch { get; init; } = 50;
}
