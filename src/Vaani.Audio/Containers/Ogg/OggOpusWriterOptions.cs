using Vaani.Audio.Opus;

namespace Vaani.Audio.Containers;

/// <summary>Settings of an <see cref="OggOpusWriter"/>; defaults suit speech.</summary>
public sealed record OggOpusWriterOptions
{
    /// <summary>Target bitrate in bit/s; null leaves libopus's automatic choice.</summary>
    public int? Bitrate { get; init; }

    /// <summary>What the encoder is tuned for.</summary>
    public OpusApplication Application { get; init; } = OpusApplication.Voip;

    /// <summary>
    /// Packets (20 ms each) collected before a page is written: 50 = one page per second.
    /// Streaming callers lower it (or call <see cref="OggOpusWriter.Flush"/>) to bound latency.
    /// </summary>
    public int PacketsPerPage { get; init; } = 50;

    /// <summary>Logical stream serial number; null picks a random one (RFC 3533 recommends random).</summary>
    public uint? Serial { get; init; }

    /// <summary>Vendor string in the OpusTags header.</summary>
    public string Vendor { get; init; } = "Vaani";
}
