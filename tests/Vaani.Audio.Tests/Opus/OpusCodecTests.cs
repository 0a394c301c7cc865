using Vaani.Audio.Opus;

namespace Vaani.Audio.Tests.Opus;

public class OpusCodecTests
{
    [Fact]
    public void Bitrate_SetThroughVariadicCtl_ReadsBackSameValue()
    {
        using var encoder = new OpusEncoder(16000, 1);
        encoder.Bitrate = 12000;
        Assert.Equal(12000, encoder.Bitrate);
        encoder.Bitrate = 64000;
        Assert.Equal(64000, encoder.Bitrate);
    }

    [Fact]
    public void Bitrate_Lower_ProducesSmallerPackets()
    {
        short[] pcm = TestSignals.Sine(16000, 1, 440);
        Assert.True(TotalBytes(pcm, 8000) * 3 < TotalBytes(pcm, 64000));

        static int TotalBytes(short[] pcm, int bitrate)
        {
            using var encoder = new OpusEncoder(16000, 1, OpusApplication.Audio) { Bitrate = bitrate };
            var packet = new byte[OpusEncoder.MaxPacketBytes];
            int total = 0;
            for (int i = 0; i + 320 <= pcm.Length; i += 320)
                total += encoder.Encode(pcm.AsSpan(i, 320), packet);
            return total;
        }
    }

    [Theory]
    [InlineData(8000, 1)]
    [InlineData(16000, 1)]
    [InlineData(24000, 2)]
    [InlineData(48000, 2)]
    public void EncodeDecode_Sine_KeepsFrequencyAndLevel(int rate, int channels)
    {
        short[] input = TestSignals.Sine(rate, 1, 440, 0.5, channels);
        using var encoder = new OpusEncoder(rate, channels) { Bitrate = 32000 * channels };
        using var decoder = new OpusDecoder(rate, channels);
        int frame = rate / 50 * channels;
        var packet = new byte[OpusEncoder.MaxPacketBytes];
        var output = new short[input.Length];
        for (int i = 0; i + frame <= input.Length; i += frame)
        {
            int length = encoder.Encode(input.AsSpan(i, frame), packet);
            int decoded = decoder.Decode(packet.AsSpan(0, length), output.AsSpan(i, frame));
            Assert.Equal(frame / channels, decoded);
        }
        for (int c = 0; c < channels; c++)
        {
            short[] mono = TestSignals.Channel(output, channels, c);
            Assert.InRange(TestSignals.EstimateFrequency(mono, rate), 435, 445);
            Assert.InRange(TestSignals.Rms(mono), 0.5 / Math.Sqrt(2) * 0.8, 0.5 / Math.Sqrt(2) * 1.2);
        }
    }

    [Fact]
    public void Decode_EmptyPacket_ConcealsRequestedDuration()
    {
        using var decoder = new OpusDecoder(16000, 1);
        var pcm = new short[320];
        Assert.Equal(320, decoder.Decode([], pcm));
    }

    [Fact]
    public void Decode_CorruptPacket_ThrowsAudioFormatException()
    {
        using var decoder = new OpusDecoder(48000, 1);
        var pcm = new short[5760];
        // TOC code 3 (arbitrary frame count) with a frame count byte of 0 is invalid.
        var ex = Assert.Throws<AudioFormatException>(() => decoder.Decode([0x03, 0x00], pcm));
        Assert.Contains("could not be decoded", ex.Message);
        Assert.Contains("corrupted", ex.Message);
    }

    [Fact]
    public void Encode_FrameNotOpusDuration_ThrowsAudioFormatException()
    {
        using var encoder = new OpusEncoder(16000, 1);
        var ex = Assert.Throws<AudioFormatException>(() => encoder.Encode(new short[300], new byte[4000]));
        Assert.Contains("not 2.5, 5, 10, 20, 40 or 60 ms", ex.Message);
    }

    [Theory]
    [InlineData(44100, 1)]
    [InlineData(16000, 3)]
    public void Constructor_UnsupportedFormat_ThrowsAudioFormatException(int rate, int channels)
    {
        Assert.Throws<AudioFormatException>(() => new OpusEncoder(rate, channels));
        Assert.Throws<AudioFormatException>(() => new OpusDecoder(rate, channels));
    }

    [Fact]
    public void GetSampleCount_TwentyMsPacket_ScalesWithRate()
    {
        using var encoder = new OpusEncoder(16000, 1);
        var packet = new byte[OpusEncoder.MaxPacketBytes];
        int length = encoder.Encode(new short[320], packet);
        Assert.Equal(960, OpusDecoder.GetSampleCount(packet.AsSpan(0, length), 48000));
        Assert.Equal(160, OpusDecoder.GetSampleCount(packet.AsSpan(0, length), 8000));
    }
}
