namespace Vaani.Audio;

/// <summary>Sample encodings carried on Vaani audio edges.</summary>
public enum AudioEncoding
{
    /// <summary>Signed 16-bit little-endian PCM.</summary>
    Linear16,
    /// <summary>32-bit IEEE float little-endian PCM, nominal range [-1, 1].</summary>
    Float32,
    /// <summary>G.711 μ-law, one byte per sample.</summary>
    Mulaw,
    /// <summary>G.711 A-law, one byte per sample.</summary>
    Alaw,
    /// <summary>Opus packets (framed by the carrying protocol or an Ogg container).</summary>
    Opus,
}
