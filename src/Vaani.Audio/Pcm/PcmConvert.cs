using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vaani.Audio.Pcm;

/// <summary>
/// Conversions between signed 16-bit PCM and 32-bit float samples (nominal range [-1, 1]).
/// Int16 → float divides by 32768, so every 16-bit value survives a round trip exactly;
/// float → int16 rounds to nearest and saturates (out-of-range floats clip instead of wrapping).
/// </summary>
public static class PcmConvert
{
    private const float Scale = 32768f;
    private const float InverseScale = 1f / 32768f;

    /// <summary>Converts one 16-bit sample to float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(short sample) => sample * InverseScale;

    /// <summary>Converts one float sample to 16-bit, rounding to nearest and saturating; NaN becomes 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static short ToLinear16(float sample)
    {
        float scaled = MathF.Round(sample * Scale);
        if (scaled >= short.MaxValue) return short.MaxValue;
        if (scaled <= short.MinValue) return short.MinValue;
        return float.IsNaN(scaled) ? (short)0 : (short)scaled;
    }

    /// <summary>Converts 16-bit samples to floats; <paramref name="dst"/> must hold src.Length samples.</summary>
    public static void Linear16ToFloat(ReadOnlySpan<short> src, Span<float> dst)
    {
        CheckLength(src.Length, dst.Length);
        for (int i = 0; i < src.Length; i++)
            dst[i] = src[i] * InverseScale;
    }

    /// <summary>Converts floats to 16-bit samples (rounded, saturated); <paramref name="dst"/> must hold src.Length samples.</summary>
    public static void FloatToLinear16(ReadOnlySpan<float> src, Span<short> dst)
    {
        CheckLength(src.Length, dst.Length);
        for (int i = 0; i < src.Length; i++)
            dst[i] = ToLinear16(src[i]);
    }

    /// <summary>Converts little-endian 16-bit PCM bytes (an even count) to floats.</summary>
    public static void Linear16BytesToFloat(ReadOnlySpan<byte> src, Span<float> dst)
    {
        if ((src.Length & 1) != 0)
            throw new ArgumentException($"linear16 input has an odd byte count ({src.Length})", nameof(src));
        if (BitConverter.IsLittleEndian)
        {
            Linear16ToFloat(MemoryMarshal.Cast<byte, short>(src), dst);
            return;
        }
        CheckLength(src.Length / 2, dst.Length);
        for (int i = 0; i < src.Length / 2; i++)
            dst[i] = BinaryPrimitives.ReadInt16LittleEndian(src[(2 * i)..]) * InverseScale;
    }

    /// <summary>Converts floats to little-endian 16-bit PCM bytes; <paramref name="dst"/> must hold 2 × src.Length bytes.</summary>
    public static void FloatToLinear16Bytes(ReadOnlySpan<float> src, Span<byte> dst)
    {
        CheckLength(src.Length * 2, dst.Length);
        if (BitConverter.IsLittleEndian)
        {
            FloatToLinear16(src, MemoryMarshal.Cast<byte, short>(dst));
            return;
        }
        for (int i = 0; i < src.Length; i++)
            BinaryPrimitives.WriteInt16LittleEndian(dst[(2 * i)..], ToLinear16(src[i]));
    }

    /// <summary>Reads little-endian IEEE float bytes (a multiple of 4) into floats.</summary>
    public static void Float32BytesToFloat(ReadOnlySpan<byte> src, Span<float> dst)
    {
        if ((src.Length & 3) != 0)
            throw new ArgumentException($"float32 input byte count {src.Length} is not a multiple of 4", nameof(src));
        CheckLength(src.Length / 4, dst.Length);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(src).CopyTo(dst);
            return;
        }
        for (int i = 0; i < src.Length / 4; i++)
            dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
    }

    /// <summary>Writes floats as little-endian IEEE float bytes; <paramref name="dst"/> must hold 4 × src.Length bytes.</summary>
    public static void FloatToFloat32Bytes(ReadOnlySpan<float> src, Span<byte> dst)
    {
        CheckLength(src.Length * 4, dst.Length);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(src).CopyTo(dst);
            return;
        }
        for (int i = 0; i < src.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(dst[(4 * i)..], src[i]);
    }

    internal static void CheckLength(int needed, int available)
    {
        if (available < needed)
            throw new ArgumentException($"destination holds {available} elements but {needed} are needed");
    }
}
