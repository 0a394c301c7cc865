namespace Vaani.Audio.Opus;

/// <summary>
/// Decodes Opus packets into interleaved linear16 PCM (libopus), with packet-loss concealment.
/// Any packet, whatever rate it was encoded at, decodes to this decoder's <see cref="SampleRate"/>.
/// Not thread-safe: one decoder per stream.
/// </summary>
public sealed unsafe class OpusDecoder : IDisposable
{
    private readonly OpusDecoderHandle _handle;

    /// <param name="sampleRate">Output rate: 8000, 12000, 16000, 24000 or 48000.</param>
    /// <param name="channels">Output channels, 1 or 2 (a stereo stream decoded to mono is downmixed by libopus).</param>
    public OpusDecoder(int sampleRate, int channels)
    {
        OpusRates.Validate(sampleRate, channels);
        IntPtr native = OpusNative.opus_decoder_create(sampleRate, channels, out int error);
        if (error != OpusNative.OPUS_OK || native == IntPtr.Zero)
            throw new AudioFormatException($"opus decoder could not be created ({sampleRate} Hz, {channels} ch): {OpusNative.ErrorText(error)}");
        _handle = new OpusDecoderHandle(native);
        SampleRate = sampleRate;
        Channels = channels;
    }

    /// <summary>Output sample rate in Hz.</summary>
    public int SampleRate { get; }

    /// <summary>Interleaved output channel count.</summary>
    public int Channels { get; }

    /// <summary>Samples per channel in the longest packet (120 ms) at <see cref="SampleRate"/>.</summary>
    public int MaxFrameSamples => SampleRate * OpusRates.MaxPacketDurationMs / 1000;

    /// <summary>Output gain in Q7.8 dB (Ogg Opus "output gain"), applied by libopus.</summary>
    public int GainQ8
    {
        get
        {
            int value;
            int rc = OpusNative.opus_decoder_ctl_get(_handle, OpusNative.OPUS_GET_GAIN_REQUEST, &value);
            return rc == OpusNative.OPUS_OK ? value : throw new AudioFormatException($"opus decoder could not read gain: {OpusNative.ErrorText(rc)}");
        }
        set
        {
            int rc = OpusNative.opus_decoder_ctl_set(_handle, OpusNative.OPUS_SET_GAIN_REQUEST, value);
            if (rc != OpusNative.OPUS_OK)
                throw new AudioFormatException($"opus decoder rejected gain {value}: {OpusNative.ErrorText(rc)}");
        }
    }

    /// <summary>
    /// Decodes one packet into <paramref name="pcm"/> and returns the samples written per channel.
    /// An empty <paramref name="packet"/> means the packet was lost: libopus conceals it and fills
    /// exactly <c>pcm.Length / Channels</c> samples per channel, which must be a multiple of 2.5 ms.
    /// </summary>
    /// <exception cref="AudioFormatException">The packet is malformed or <paramref name="pcm"/> is too small for it.</exception>
    public int Decode(ReadOnlySpan<byte> packet, Span<short> pcm)
    {
        int capacity = pcm.Length / Channels;
        if (packet.IsEmpty && (capacity == 0 || capacity % (SampleRate / 400) != 0))
            throw new AudioFormatException($"opus loss concealment needs a multiple of 2.5 ms of output; got {capacity} samples at {SampleRate} Hz");
        int decoded;
        fixed (byte* data = packet)
        fixed (short* output = pcm)
        {
            decoded = OpusNative.opus_decode(_handle, packet.IsEmpty ? null : data, packet.Length, output, capacity, 0);
        }
        if (decoded < 0)
            throw new AudioFormatException(packet.IsEmpty
                ? $"opus loss concealment failed: {OpusNative.ErrorText(decoded)}"
                : $"opus packet of {packet.Length} bytes could not be decoded: {OpusNative.ErrorText(decoded)}");
        return decoded;
    }

    /// <summary>
    /// Samples per channel that <paramref name="packet"/> decodes to at <paramref name="sampleRate"/>,
    /// read from its TOC byte without decoding.
    /// </summary>
    public static int GetSampleCount(ReadOnlySpan<byte> packet, int sampleRate)
    {
        if (packet.IsEmpty)
            throw new AudioFormatException("opus packet is empty");
        int count;
        fixed (byte* data = packet)
        {
            count = OpusNative.opus_packet_get_nb_samples(data, packet.Length, sampleRate);
        }
        if (count < 0)
            throw new AudioFormatException($"opus packet of {packet.Length} bytes has an invalid header: {OpusNative.ErrorText(count)}");
        if (count > sampleRate * OpusRates.MaxPacketDurationMs / 1000)
            throw new AudioFormatException($"opus packet lasts {count} samples at {sampleRate} Hz, more than the 120 ms opus allows");
        return count;
    }

    public void Dispose() => _handle.Dispose();
}
