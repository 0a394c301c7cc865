namespace Vaani.Audio.Wav;

/// <summary>
/// Bounds applied while reading a WAV file. Declared sizes in a header are never trusted for
/// allocation: they are checked against these limits and memory grows only with bytes actually read.
/// </summary>
public sealed record WavReadLimits
{
    /// <summary>Defaults: 256 MiB of sample data, 1 MiB of header and chunks before the data.</summary>
    public static readonly WavReadLimits Default = new();

    /// <summary>Largest amount of sample data (as stored in the file) accepted.</summary>
    public long MaxDataBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Largest number of bytes before the data chunk (RIFF header, fmt, LIST, fact, ...).</summary>
    public int MaxHeaderBytes { get; init; } = 1024 * 1024;
}
