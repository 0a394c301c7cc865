namespace Vaani.Audio.Containers;

/// <summary>Container (file format) of uploaded audio, as recognised by <see cref="ContainerSniffer"/>.</summary>
public enum AudioContainer
{
    /// <summary>No known signature: headerless samples, or a format not recognised.</summary>
    Raw,
    /// <summary>RIFF/WAVE.</summary>
    Wav,
    /// <summary>RF64/BW64 (WAVE with 64-bit sizes).</summary>
    Rf64,
    /// <summary>Ogg carrying Opus (RFC 7845).</summary>
    OggOpus,
    /// <summary>Ogg carrying Vorbis.</summary>
    OggVorbis,
    /// <summary>Ogg carrying something else (FLAC, Speex, …).</summary>
    Ogg,
    /// <summary>Native FLAC.</summary>
    Flac,
    /// <summary>MPEG audio (MP3, or MP1/MP2), possibly behind an ID3v2 tag.</summary>
    Mp3,
    /// <summary>AAC in ADTS framing.</summary>
    Aac,
    /// <summary>ISO base media file (MP4, M4A, 3GP, QuickTime).</summary>
    Mp4,
    /// <summary>WebM (Matroska with the "webm" doctype).</summary>
    WebM,
    /// <summary>Matroska (MKV/MKA).</summary>
    Matroska,
}
