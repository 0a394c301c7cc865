namespace Vaani.Audio.Pcm;

/// <summary>
/// Channel operations on interleaved float frames: averaging downmix to mono, extraction of one
/// channel, and duplication of mono to N channels.
/// </summary>
public static class ChannelMixer
{
    /// <summary>
    /// Averages each interleaved frame of <paramref name="channels"/> samples into one mono sample.
    /// Averaging (not summing) keeps the result in range without clipping.
    /// </summary>
    /// <returns>The number of mono samples written (frames in the input).</returns>
    public static int Downmix(ReadOnlySpan<float> interleaved, int channels, Span<float> mono)
    {
        int frames = FrameCount(interleaved.Length, channels);
        PcmConvert.CheckLength(frames, mono.Length);
        if (channels == 1)
        {
            interleaved.CopyTo(mono);
            return frames;
        }
        if (channels == 2)
        {
            for (int f = 0; f < frames; f++)
                mono[f] = (interleaved[2 * f] + interleaved[(2 * f) + 1]) * 0.5f;
            return frames;
        }
        float inv = 1f / channels;
        for (int f = 0, i = 0; f < frames; f++)
        {
            float sum = 0;
            for (int c = 0; c < channels; c++, i++)
                sum += interleaved[i];
            mono[f] = sum * inv;
        }
        return frames;
    }

    /// <summary>Copies channel <paramref name="channel"/> (0-based) of interleaved frames to <paramref name="dst"/>.</summary>
    /// <returns>The number of samples written (frames in the input).</returns>
    public static int ExtractChannel(ReadOnlySpan<float> interleaved, int channels, int channel, Span<float> dst)
    {
        int frames = FrameCount(interleaved.Length, channels);
        if ((uint)channel >= (uint)channels)
            throw new ArgumentOutOfRangeException(nameof(channel), $"channel {channel} does not exist in {channels}-channel audio");
        PcmConvert.CheckLength(frames, dst.Length);
        for (int f = 0, i = channel; f < frames; f++, i += channels)
            dst[f] = interleaved[i];
        return frames;
    }

    /// <summary>Writes each mono sample to all <paramref name="channels"/> channels of an interleaved frame.</summary>
    /// <returns>The number of interleaved samples written.</returns>
    public static int Duplicate(ReadOnlySpan<float> mono, int channels, Span<float> interleaved)
    {
        if (channels < 1)
            throw new ArgumentOutOfRangeException(nameof(channels), $"channels must be at least 1, not {channels}");
        PcmConvert.CheckLength(mono.Length * channels, interleaved.Length);
        for (int f = 0, i = 0; f < mono.Length; f++)
        {
            for (int c = 0; c < channels; c++, i++)
                interleaved[i] = mono[f];
        }
        return mono.Length * channels;
    }

    /// <summary>Writes <paramref name="channelSamples"/> into channel <paramref name="channel"/> of interleaved frames.</summary>
    public static void InsertChannel(ReadOnlySpan<float> channelSamples, int channels, int channel, Span<float> interleaved)
    {
        if ((uint)channel >= (uint)channels)
            throw new ArgumentOutOfRangeException(nameof(channel), $"channel {channel} does not exist in {channels}-channel audio");
        PcmConvert.CheckLength(channelSamples.Length * channels, interleaved.Length);
        for (int f = 0, i = channel; f < channelSamples.Length; f++, i += channels)
            interleaved[i] = channelSamples[f];
    }

    private static int FrameCount(int samples, int channels)
    {
        if (channels < 1)
            throw new ArgumentOutOfRangeException(nameof(channels), $"channels must be at least 1, not {channels}");
        if (samples % channels != 0)
            throw new ArgumentException($"{samples} interleaved samples is not a whole number of {channels}-channel frames");
        return samples / channels;
    }
}
