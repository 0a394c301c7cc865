using Vaani.Audio.Opus;

namespace Vaani.Audio.Containers;

/// <summary>Output format and limits of an <see cref="OggOpusReader"/>.</summary>
public sealed record OggOpusReaderOptions
{
    /// <summary>Decode rate: 8000, 12000, 16000, 24000 or 48000 Hz (Opus decodes natively to any of them).</summary>
    public int OutputSampleRate { get; init; } = OpusRates.ClockRate;

    /// <summary>Output channels (1 or 2); null keeps the stream's. Stereo decoded to mono is downmixed.</summary>
    public int? OutputChannels { get; init; }

    /// <summary>Decoded audio longer than this is refused.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Largest Opus packet accepted. 120 ms of 2.5 ms frames at 1275 bytes each is 61,200.</summary>
    public int MaxPacketBytes { get; init; } = 64 * 1024;

    /// <summary>Input longer than this many bytes is refused (bounds time spent on skipped content).</summary>
    public long MaxInputBytes { get; init; } = 512L * 1024 * 1024;
}
