namespace Vaani.Audio.Opus;

/// <summary>Sample-rate and frame-size rules shared by the Opus encoder, decoder and Ogg Opus.</summary>
public static class OpusRates
{
    /// <summary>Opus always runs its clock (granule positions, pre-skip) at 48 kHz.</summary>
    public const int ClockRate = 48000;

    /// <summary>Longest decoded packet: 120 ms.</summary>
    public const int MaxPacketDurationMs = 120;

    /// <summary>True for the rates libopus accepts: 8, 12, 16, 24 and 48 kHz.</summary>
    public static bool IsSupported(int sampleRate) => sampleRate is 8000 or 12000 or 16000 or 24000 or 48000;

    internal static void Validate(int sampleRate, int channels)
    {
        if (!IsSupported(sampleRate))
            throw new AudioFormatException($"sample_rate {sampleRate} is not valid for opus: use 8000, 12000, 16000, 24000 or 48000");
        if (channels is < 1 or > 2)
            throw new AudioFormatException($"channels {channels} is not supported for opus: use 1 or 2");
    }

    /// <summary>True when <paramref name="samplesPerChannel"/> is an encodable frame (2.5, 5, 10, 20, 40 or 60 ms).</summary>
    public static bool IsValidFrameSize(int sampleRate, int samplesPerChannel)
    {
        // Frame sizes in units of 2.5 ms (= sampleRate / 400 samples).
        int unit = sampleRate / 400;
        if (unit == 0 || samplesPerChannel % unit != 0)
            return false;
        return (samplesPerChannel / unit) is 1 or 2 or 4 or 8 or 16 or 24;
    }
}
