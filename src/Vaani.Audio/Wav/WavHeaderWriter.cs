using System.Buffers.Binary;

namespace Vaani.Audio.Wav;

/// <summary>Builds canonical WAV headers (the layout SoX writes) for fixed-size formats.</summary>
public static class WavHeaderWriter
{
    /// <summary>Size marker for "unknown, read to end of file" used by streaming writers.</summary>
    public const uint UnknownSize = 0xFFFFFFFF;

    /// <summary>Header length for <paramref name="format"/>: 44 for PCM, 58 for float/A-law/μ-law (18-byte fmt + fact).</summary>
    public static int HeaderLength(AudioFormat format) => format.Encoding == AudioEncoding.Linear16 ? 44 : 58;

    /// <summary>Offsets of the size fields to patch: RIFF size, fact sample count (or -1), data size.</summary>
    public static (int Riff, int Fact, int Data) SizeOffsets(AudioFormat format) =>
        format.Encoding == AudioEncoding.Linear16 ? (4, -1, 40) : (4, 46, 54);

    public static void Write(AudioFormat format, long? dataBytes, Span<byte> dst)
    {
        (int tag, int bits) = format.Encoding switch
        {
            AudioEncoding.Linear16 => (1, 16),
            AudioEncoding.Float32 => (3, 32),
            AudioEncoding.Alaw => (6, 8),
            AudioEncoding.Mulaw => (7, 8),
            _ => throw new AudioFormatException($"cannot write {format} as WAV: use linear16, float32, mulaw or alaw"),
        };
        bool extended = tag != 1;
        int fmtSize = extended ? 18 : 16;
        int headerLength = HeaderLength(format);
        dst = dst[..headerLength];
        dst.Clear();
        "RIFF"u8.CopyTo(dst);
        "WAVE"u8.CopyTo(dst[8..]);
        "fmt "u8.CopyTo(dst[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(dst[16..], (uint)fmtSize);
        BinaryPrimitives.WriteUInt16LittleEndian(dst[20..], (ushort)tag);
        BinaryPrimitives.WriteUInt16LittleEndian(dst[22..], (ushort)format.Channels);
        BinaryPrimitives.WriteUInt32LittleEndian(dst[24..], (uint)format.SampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(dst[28..], (uint)format.BytesPerSecond);
        BinaryPrimitives.WriteUInt16LittleEndian(dst[32..], (ushort)format.BytesPerFrame);
        BinaryPrimitives.WriteUInt16LittleEndian(dst[34..], (ushort)bits);
        int pos = 36;
        if (extended)
        {
            pos += 2; // cbSize = 0
            "fact"u8.CopyTo(dst[pos..]);
            BinaryPrimitives.WriteUInt32LittleEndian(dst[(pos + 4)..], 4);
            pos += 12;
        }
        "data"u8.CopyTo(dst[pos..]);
        PatchSizes(format, dataBytes, dst);
    }

    /// <summary>Writes the RIFF, fact and data sizes for <paramref name="dataBytes"/> (null: unknown).</summary>
    public static void PatchSizes(AudioFormat format, long? dataBytes, Span<byte> header)
    {
        (int riff, int fact, int data) = SizeOffsets(format);
        int headerLength = HeaderLength(format);
        long pad = dataBytes is long d ? d & 1 : 0;
        bool fits = dataBytes is long b && headerLength - 8 + b + pad <= uint.MaxValue - 1;
        uint riffSize = fits ? (uint)(headerLength - 8 + dataBytes!.Value + pad) : UnknownSize;
        uint dataSize = fits ? (uint)dataBytes!.Value : UnknownSize;
        BinaryPrimitives.WriteUInt32LittleEndian(header[riff..], riffSize);
        BinaryPrimitives.WriteUInt32LittleEndian(header[data..], dataSize);
        if (fact >= 0)
            BinaryPrimitives.WriteUInt32LittleEndian(header[fact..], fits ? (uint)(dataBytes!.Value / format.BytesPerFrame) : UnknownSize);
    }
}
