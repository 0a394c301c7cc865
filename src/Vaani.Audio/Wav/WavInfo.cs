namespace Vaani.Audio.Wav;

/// <summary>What a WAV header said, and the format in which its samples are returned.</summary>
public sealed record WavInfo
{
    /// <summary>
    /// Format of the samples the reader returns. 8-, 24- and 32-bit integer PCM are returned as
    /// linear16 (rounded, saturating) and 64-bit float as float32; other encodings are unchanged.
    /// </summary>
    public required AudioFormat Format { get; init; }

    /// <summary>The WAVE format tag in effect: 1 PCM, 3 IEEE float, 6 A-law, 7 μ-law (resolved from the sub-format when extensible).</summary>
    public required int FormatTag { get; init; }

    /// <summary>True when the file used WAVE_FORMAT_EXTENSIBLE (0xFFFE).</summary>
    public required bool IsExtensible { get; init; }

    /// <summary>Bits per sample as stored in the file.</summary>
    public required int SourceBitsPerSample { get; init; }

    /// <summary>Bytes per frame as stored in the file (block align).</summary>
    public required int SourceBytesPerFrame { get; init; }

    /// <summary>Data size the header declared; null when it was 0xFFFFFFFF (streamed: data runs to end of file).</summary>
    public required long? DeclaredDataBytes { get; init; }

    /// <summary>True when samples are converted on read (see <see cref="Format"/>).</summary>
    public bool IsConverted => SourceBitsPerSample != Format.BytesPerSample * 8;

    /// <summary>Offset of the first data byte from the start of the file.</summary>
    internal int DataOffset { get; init; }

    internal WavSampleKind Kind { get; init; }
}
