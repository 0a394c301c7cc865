using System.Runtime.CompilerServices;

namespace Vaani.Audio.Codecs;

/// <summary>
/// ITU-T G.711 μ-law and A-law companding, bit-exact with the reference implementation
/// in SoX (CCITT/Sun g711.c): like SoX, a 16-bit sample is first rounded to nearest 14 bits
/// (μ-law) or 13 bits (A-law), saturating at the top, and then companded. This is exactly what
/// SoX writes for <c>-e u-law</c> / <c>-e a-law</c> without dither (<c>sox -D</c>).
/// </summary>
/// <remarks>
/// Decoding uses 256-entry tables and encoding uses 64 KiB tables indexed by the 16-bit sample,
/// built once at type load; per-sample work on the data plane is a single lookup.
/// </remarks>
public static class G711
{
    private const int UlawBias = 0x84;
    private const int UlawClip = 8159;

    private static readonly short[] UlawToLinear = BuildUlawDecodeTable();
    private static readonly short[] AlawToLinear = BuildAlawDecodeTable();
    // Both indexed by the sample's bit pattern as ushort.
    private static readonly byte[] LinearToUlaw = BuildEncodeTable(pcm => Ulaw14ToByte(Round(pcm, 14)));
    private static readonly byte[] LinearToAlaw = BuildEncodeTable(pcm => Alaw13ToByte(Round(pcm, 13)));

    /// <summary>Encodes one 16-bit sample to μ-law.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte MulawEncode(short pcm) => LinearToUlaw[(ushort)pcm];

    /// <summary>Decodes one μ-law byte to a 16-bit sample.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static short MulawDecode(byte ulaw) => UlawToLinear[ulaw];

    /// <summary>Encodes one 16-bit sample to A-law.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte AlawEncode(short pcm) => LinearToAlaw[(ushort)pcm];

    /// <summary>Decodes one A-law byte to a 16-bit sample.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static short AlawDecode(byte alaw) => AlawToLinear[alaw];

    /// <summary>Encodes <paramref name="pcm"/> to μ-law; <paramref name="dst"/> must hold pcm.Length bytes.</summary>
    public static void MulawEncode(ReadOnlySpan<short> pcm, Span<byte> dst)
    {
        CheckLength(pcm.Length, dst.Length);
        byte[] table = LinearToUlaw;
        for (int i = 0; i < pcm.Length; i++)
            dst[i] = table[(ushort)pcm[i]];
    }

    /// <summary>Decodes μ-law bytes; <paramref name="dst"/> must hold ulaw.Length samples.</summary>
    public static void MulawDecode(ReadOnlySpan<byte> ulaw, Span<short> dst)
    {
        CheckLength(ulaw.Length, dst.Length);
        short[] table = UlawToLinear;
        for (int i = 0; i < ulaw.Length; i++)
            dst[i] = table[ulaw[i]];
    }

    /// <summary>Encodes <paramref name="pcm"/> to A-law; <paramref name="dst"/> must hold pcm.Length bytes.</summary>
    public static void AlawEncode(ReadOnlySpan<short> pcm, Span<byte> dst)
    {
        CheckLength(pcm.Length, dst.Length);
        byte[] table = LinearToAlaw;
        for (int i = 0; i < pcm.Length; i++)
            dst[i] = table[(ushort)pcm[i]];
    }

    /// <summary>Decodes A-law bytes; <paramref name="dst"/> must hold alaw.Length samples.</summary>
    public static void AlawDecode(ReadOnlySpan<byte> alaw, Span<short> dst)
    {
        CheckLength(alaw.Length, dst.Length);
        short[] table = AlawToLinear;
        for (int i = 0; i < alaw.Length; i++)
            dst[i] = table[alaw[i]];
    }

    private static void CheckLength(int source, int destination)
    {
        if (destination < source)
            throw new ArgumentException($"destination holds {destination} samples but {source} are needed", nameof(destination));
    }

    // Reference algorithms (g711.c); used only to build the tables.

    private static byte Ulaw14ToByte(int pcm14)
    {
        int mask;
        if (pcm14 < 0)
        {
            pcm14 = -pcm14;
            mask = 0x7F;
        }
        else
        {
            mask = 0xFF;
        }
        if (pcm14 > UlawClip)
            pcm14 = UlawClip;
        pcm14 += UlawBias >> 2;
        int seg = Segment(pcm14, 0x3F);
        if (seg >= 8)
            return (byte)(0x7F ^ mask);
        int uval = (seg << 4) | ((pcm14 >> (seg + 1)) & 0xF);
        return (byte)(uval ^ mask);
    }

    private static byte Alaw13ToByte(int pcm13)
    {
        int mask;
        if (pcm13 >= 0)
        {
            mask = 0xD5;
        }
        else
        {
            mask = 0x55;
            pcm13 = -pcm13 - 1;
        }
        int seg = Segment(pcm13, 0x1F);
        if (seg >= 8)
            return (byte)(0x7F ^ mask);
        int aval = seg << 4;
        aval |= seg < 2 ? (pcm13 >> 1) & 0xF : (pcm13 >> seg) & 0xF;
        return (byte)(aval ^ mask);
    }

    // Index of the first segment end (firstEnd, 2*firstEnd+1, ...) that value does not exceed; 8 if none.
    private static int Segment(int value, int firstEnd)
    {
        int end = firstEnd;
        for (int i = 0; i < 8; i++)
        {
            if (value <= end)
                return i;
            end = (end << 1) | 1;
        }
        return 8;
    }

    private static short[] BuildUlawDecodeTable()
    {
        var table = new short[256];
        for (int i = 0; i < 256; i++)
        {
            int u = ~i & 0xFF;
            int t = ((u & 0x0F) << 3) + UlawBias;
            t <<= (u & 0x70) >> 4;
            table[i] = (short)((u & 0x80) != 0 ? UlawBias - t : t - UlawBias);
        }
        return table;
    }

    private static short[] BuildAlawDecodeTable()
    {
        var table = new short[256];
        for (int i = 0; i < 256; i++)
        {
            int a = i ^ 0x55;
            int t = (a & 0x0F) << 4;
            int seg = (a & 0x70) >> 4;
            switch (seg)
            {
                case 0: t += 8; break;
                case 1: t += 0x108; break;
                default: t += 0x108; t <<= seg - 1; break;
            }
            table[i] = (short)((a & 0x80) != 0 ? t : -t);
        }
        return table;
    }

    private static byte[] BuildEncodeTable(Func<int, byte> encode)
    {
        var table = new byte[65536];
        for (int pcm = short.MinValue; pcm <= short.MaxValue; pcm++)
            table[(ushort)pcm] = encode(pcm);
        return table;
    }

    // SoX's SOX_SAMPLE_TO_SIGNED(bits): round half up to `bits` bits, saturating at the positive end.
    private static int Round(int pcm16, int bits)
    {
        int shift = 16 - bits;
        int max = (1 << (bits - 1)) - 1;
        return Math.Min((pcm16 + (1 << (shift - 1))) >> shift, max);
    }
}
