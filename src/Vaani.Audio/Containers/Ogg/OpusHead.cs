using System.Buffers.Binary;

namespace Vaani.Audio.Containers;

/// <summary>
/// The Ogg Opus identification header (RFC 7845 §5.1). Only channel mapping family 0
/// (mono or stereo, one Opus stream) is supported.
/// </summary>
/// <param name="Channels">Output channel count, 1 or 2.</param>
/// <param name="PreSkip">Samples at 48 kHz to discard from the start of the decoded stream.</param>
/// <param name="InputSampleRate">Rate of the original input in Hz (informational; 0 if unknown).</param>
/// <param name="OutputGainQ8">Gain to apply on output, in Q7.8 dB.</param>
public sealed record OpusHead(int Channels, int PreSkip, int InputSampleRate, short OutputGainQ8 = 0)
{
    internal static ReadOnlySpan<byte> Magic => "OpusHead"u8;
    internal const int Size = 19;

    internal byte[] ToBytes()
    {
        var bytes = new byte[Size];
        Magic.CopyTo(bytes);
        bytes[8] = 1; // version
        bytes[9] = (byte)Channels;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(10), (ushort)PreSkip);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), (uint)InputSampleRate);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(16), OutputGainQ8);
        bytes[18] = 0; // channel mapping family 0: mono/stereo, no mapping table
        return bytes;
    }

    internal static OpusHead Parse(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 8 || !packet[..8].SequenceEqual(Magic))
            throw new AudioFormatException("Ogg stream is not Ogg Opus: the first packet is not an OpusHead header");
        if (packet.Length < Size)
            throw new AudioFormatException($"OpusHead header is {packet.Length} bytes, shorter than the {Size} required");
        // RFC 7845: the upper nibble is the major version; only major version 0 is understood.
        if (packet[8] >> 4 != 0)
            throw new AudioFormatException($"OpusHead version {packet[8]} is not supported");
        int channels = packet[9];
        int family = packet[18];
        if (family != 0)
            throw new AudioFormatException($"Ogg Opus channel mapping family {family} ({channels} channels) is not supported: only mono and stereo (family 0)");
        if (channels is < 1 or > 2)
            throw new AudioFormatException($"OpusHead declares {channels} channels; family 0 allows 1 or 2");
        return new OpusHead(
            channels,
            BinaryPrimitives.ReadUInt16LittleEndian(packet[10..]),
            (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(packet[12..])),
            BinaryPrimitives.ReadInt16LittleEndian(packet[16..]));
    }
}
