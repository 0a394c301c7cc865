using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Vaani.Speech.Streaming;

/// <summary>
/// Copies into memory that is written once and seldom read soon after (the replay buffer: read
/// back only when a worker is lost) with non-temporal stores where the processor has them: whole
/// cache lines go to memory without first being read into the cache and without evicting what
/// the process is working on. A plain copy into such memory waits for every destination line to
/// be fetched, since nothing else touched it since its last use.
/// </summary>
internal static unsafe class StreamingCopy
{
    private const int Line = 64;

    /// <summary>Below this many bytes a plain copy is as good: there is at most one whole line.</summary>
    internal const int Threshold = 2 * Line;

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="destination"/> (which has room for it).
    /// The stores are fenced before returning, so the bytes are visible to any thread that then
    /// synchronises with this one (a lock, a volatile write), as after a plain copy.
    /// </summary>
    public static void Copy(ReadOnlySpan<byte> source, byte* destination)
    {
        int n = source.Length;
        if (n < Threshold || !Sse2.IsSupported)
        {
            source.CopyTo(new Span<byte>(destination, n));
            return;
        }
        fixed (byte* from = source)
        {
            // Up to the first line boundary and after the last one: plain stores (a partial line
            // written non-temporally would cost a read of the line anyway).
            int head = (int)((Line - ((nuint)destination & (Line - 1))) & (Line - 1));
            Buffer.MemoryCopy(from, destination, head, head);
            byte* s = from + head, d = destination + head;
            int lines = (n - head) / Line;
            for (int i = 0; i < lines; i++, s += Line, d += Line)
            {
                if (Avx.IsSupported)
                {
                    Avx.StoreAlignedNonTemporal(d, Vector256.Load(s));
                    Avx.StoreAlignedNonTemporal(d + 32, Vector256.Load(s + 32));
                }
                else
                {
                    Sse2.StoreAlignedNonTemporal(d, Vector128.Load(s));
                    Sse2.StoreAlignedNonTemporal(d + 16, Vector128.Load(s + 16));
                    Sse2.StoreAlignedNonTemporal(d + 32, Vector128.Load(s + 32));
                    Sse2.StoreAlignedNonTemporal(d + 48, Vector128.Load(s + 48));
                }
            }
            int tail = n - head - lines * Line;
            Buffer.MemoryCopy(s, d, tail, tail);
            Sse.StoreFence(); // non-temporal stores are weakly ordered
        }
    }
}
