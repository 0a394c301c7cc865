namespace Vaani.Audio.Containers;

/// <summary>Recognises an audio container from the magic bytes at the start of the input.</summary>
public static class ContainerSniffer
{
    /// <summary>
    /// Bytes to pass for a confident answer. Fewer work (down to 4 for most signatures), but Ogg
    /// needs its first packet (byte 28 onward) and EBML its doctype to tell codecs apart.
    /// </summary>
    public const int HeaderLength = 64;

    private static ReadOnlySpan<byte> EbmlMagic => [0x1A, 0x45, 0xDF, 0xA3];

    /// <summary>The container whose signature starts <paramref name="header"/>; <see cref="AudioContainer.Raw"/> if none.</summary>
    public static AudioContainer Detect(ReadOnlySpan<byte> header)
    {
        if (header.Length >= 12 && header[8..12].SequenceEqual("WAVE"u8))
        {
            if (header.StartsWith("RIFF"u8)) return AudioContainer.Wav;
            if (header.StartsWith("RF64"u8) || header.StartsWith("BW64"u8)) return AudioContainer.Rf64;
        }
        if (header.StartsWith("OggS"u8))
            return DetectOgg(header);
        if (header.StartsWith("fLaC"u8))
            return AudioContainer.Flac;
        if (header.StartsWith("ID3"u8))
            return AudioContainer.Mp3;
        if (header.Length >= 8 && (header[4..8].SequenceEqual("ftyp"u8) || header[4..8].SequenceEqual("moov"u8)))
            return AudioContainer.Mp4;
        if (header.StartsWith(EbmlMagic))
            return header.IndexOf("webm"u8) >= 0 ? AudioContainer.WebM : AudioContainer.Matroska;
        return DetectMpegSync(header);
    }

    private static AudioContainer DetectOgg(ReadOnlySpan<byte> header)
    {
        // The first page's first packet starts after the 27-byte header and the lacing table.
        if (header.Length < 27)
            return AudioContainer.Ogg;
        int packet = 27 + header[26];
        ReadOnlySpan<byte> body = packet < header.Length ? header[packet..] : [];
        if (body.StartsWith("OpusHead"u8)) return AudioContainer.OggOpus;
        if (body.StartsWith("\u0001vorbis"u8)) return AudioContainer.OggVorbis;
        return AudioContainer.Ogg;
    }

    private static AudioContainer DetectMpegSync(ReadOnlySpan<byte> header)
    {
        // 11 (MPEG audio) or 12 (ADTS) sync bits; reject reserved field values so that
        // headerless PCM that happens to start with 0xFF is less likely to match.
        if (header.Length < 4 || header[0] != 0xFF || (header[1] & 0xE0) != 0xE0)
            return AudioContainer.Raw;
        int layer = (header[1] >> 1) & 0x3;
        if (layer == 0)
            return (header[1] & 0xF0) == 0xF0 && ((header[2] >> 2) & 0xF) < 13 ? AudioContainer.Aac : AudioContainer.Raw;
        int version = (header[1] >> 3) & 0x3;
        int bitrate = header[2] >> 4;
        int rate = (header[2] >> 2) & 0x3;
        return version != 1 && bitrate != 0xF && rate != 3 ? AudioContainer.Mp3 : AudioContainer.Raw;
    }
}
