namespace Vaani.Audio.Opus;

/// <summary>
/// Encodes interleaved linear16 PCM frames into Opus packets (libopus). Not thread-safe: one
/// encoder per stream. Dispose to free the native state (a finalizer does it otherwise).
/// </summary>
public sealed unsafe class OpusEncoder : IDisposable
{
    /// <summary>A packet buffer of this size always fits one encoded frame (libopus recommends 4000).</summary>
    public const int MaxPacketBytes = 4000;

    private readonly OpusEncoderHandle _handle;

    /// <param name="sampleRate">8000, 12000, 16000, 24000 or 48000.</param>
    /// <param name="channels">1 or 2 (interleaved).</param>
    /// <param name="application">What the encoder is tuned for.</param>
    public OpusEncoder(int sampleRate, int channels, OpusApplication application = OpusApplication.Voip)
    {
        OpusRates.Validate(sampleRate, channels);
        if (!Enum.IsDefined(application))
            throw new AudioFormatException($"opus application {(int)application} is unknown");
        IntPtr native = OpusNative.opus_encoder_create(sampleRate, channels, (int)application, out int error);
        if (error != OpusNative.OPUS_OK || native == IntPtr.Zero)
            throw new AudioFormatException($"opus encoder could not be created ({sampleRate} Hz, {channels} ch): {OpusNative.ErrorText(error)}");
        _handle = new OpusEncoderHandle(native);
        SampleRate = sampleRate;
        Channels = channels;
    }

    /// <summary>Input sample rate in Hz.</summary>
    public int SampleRate { get; }

    /// <summary>Interleaved input channel count.</summary>
    public int Channels { get; }

    /// <summary>Target bitrate in bits per second (500..512000), read back from libopus.</summary>
    public int Bitrate
    {
        get => Get(OpusNative.OPUS_GET_BITRATE_REQUEST, "bitrate");
        set
        {
            if (value is < 500 or > 512_000)
                throw new AudioFormatException($"opus bitrate {value} is out of range: it must be between 500 and 512000 bit/s");
            Set(OpusNative.OPUS_SET_BITRATE_REQUEST, value, "bitrate");
        }
    }

    /// <summary>Encoder delay in samples per channel at <see cref="SampleRate"/>; Ogg Opus pre-skip derives from it.</summary>
    public int Lookahead => Get(OpusNative.OPUS_GET_LOOKAHEAD_REQUEST, "lookahead");

    /// <summary>
    /// Encodes one frame. <paramref name="frame"/> holds interleaved samples whose per-channel
    /// length is 2.5, 5, 10, 20, 40 or 60 ms. Returns the packet length written to <paramref name="packet"/>.
    /// </summary>
    public int Encode(ReadOnlySpan<short> frame, Span<byte> packet)
    {
        if (frame.Length % Channels != 0)
            throw new AudioFormatException($"opus frame of {frame.Length} samples is not a whole number of {Channels}-channel frames");
        int perChannel = frame.Length / Channels;
        if (!OpusRates.IsValidFrameSize(SampleRate, perChannel))
            throw new AudioFormatException($"opus frame of {perChannel} samples at {SampleRate} Hz is not 2.5, 5, 10, 20, 40 or 60 ms");
        if (packet.IsEmpty)
            throw new ArgumentException("packet buffer is empty", nameof(packet));
        int length;
        fixed (short* pcm = frame)
        fixed (byte* data = packet)
        {
            length = OpusNative.opus_encode(_handle, pcm, perChannel, data, Math.Min(packet.Length, MaxPacketBytes));
        }
        if (length < 0)
            throw new AudioFormatException($"opus encode failed: {OpusNative.ErrorText(length)}");
        return length;
    }

    private int Get(int request, string what)
    {
        int value;
        int rc = OpusNative.opus_encoder_ctl_get(_handle, request, &value);
        if (rc != OpusNative.OPUS_OK)
            throw new AudioFormatException($"opus encoder could not read {what}: {OpusNative.ErrorText(rc)}");
        return value;
    }

    private void Set(int request, int value, string what)
    {
        int rc = OpusNative.opus_encoder_ctl_set(_handle, request, value);
        if (rc != OpusNative.OPUS_OK)
            throw new AudioFormatException($"opus encoder rejected {what} {value}: {OpusNative.ErrorText(rc)}");
    }

    public void Dispose() => _handle.Dispose();
}
