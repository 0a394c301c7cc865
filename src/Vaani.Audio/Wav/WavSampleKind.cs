using System.Buffers.Binary;

namespace Vaani.Audio.Wav;

/// <summary>How samples are stored in a WAV data chunk.</summary>
internal enum WavSampleKind
{
    U8,
    S16,
    S24,
    S32,
    F32,
    F64,
    Mulaw,
    Alaw,
}

/// <summary>Converts stored WAV samples to the encoding the reader returns.</summary>
internal static class WavSampleConverter
{
    public static int SourceBytes(WavSampleKind kind) => kind switch
    {
        WavSampleKind.U8 or WavSampleKind.Mulaw or WavSampleKind.Alaw => 1,
        WavSampleKind.S16 => 2,
        WavSampleKind.S24 => 3,
        WavSampleKind.S32 or WavSampleKind.F32 => 4,
        _ => 8,
    };

    public static AudioEncoding OutputEncoding(WavSampleKind kind) => kind switch
    {
        WavSampleKind.F32 or WavSampleKind.F64 => AudioEncoding.Float32,
        WavSampleKind.Mulaw => AudioEncoding.Mulaw,
        WavSampleKind.Alaw => AudioEncoding.Alaw,
        _ => AudioEncoding.Linear16,
    };

    /// <summary>Converts whole samples in <paramref name="src"/>; returns bytes written to <paramref name="dst"/>.</summary>
    public static int Convert(WavSampleKind kind, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        switch (kind)
        {
            case WavSampleKind.S16:
            case WavSampleKind.F32:
            case WavSampleKind.Mulaw:
            case WavSampleKind.Alaw:
                src.CopyTo(dst);
                return src.Length;
            case WavSampleKind.U8:
                for (int i = 0; i < src.Length; i++)
                    BinaryPrimitives.WriteInt16LittleEndian(dst[(2 * i)..], (short)((src[i] - 128) << 8));
                return src.Length * 2;
            case WavSampleKind.S24:
            {
                int n = src.Length / 3;
                for (int i = 0; i < n; i++)
                {
                    int s = (src[3 * i] | (src[(3 * i) + 1] << 8) | ((sbyte)src[(3 * i) + 2] << 16));
                    // Round half up to 16 bits and saturate, as SoX does without dither.
                    BinaryPrimitives.WriteInt16LittleEndian(dst[(2 * i)..], (short)Math.Min((s + 128) >> 8, short.MaxValue));
                }
                return n * 2;
            }
            case WavSampleKind.S32:
            {
                int n = src.Length / 4;
                for (int i = 0; i < n; i++)
                {
                    long s = BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]);
                    BinaryPrimitives.WriteInt16LittleEndian(dst[(2 * i)..], (short)Math.Min((s + 32768) >> 16, short.MaxValue));
                }
                return n * 2;
            }
            case WavSampleKind.F64:
            {
                int n = src.Length / 8;
                for (int i = 0; i < n; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(dst[(4 * i)..], (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]));
                return n * 4;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>Output bytes for <paramref name="sourceBytes"/> bytes of whole source samples.</summary>
    public static long OutputBytes(WavSampleKind kind, long sourceBytes) =>
        sourceBytes / SourceBytes(kind) * OutputBytesPerSample(kind);

    public static int OutputBytesPerSample(WavSampleKind kind) => OutputEncoding(kind) switch
    {
        AudioEncoding.Linear16 => 2,
        AudioEncoding.Float32 => 4,
        _ => 1,
    };
}
