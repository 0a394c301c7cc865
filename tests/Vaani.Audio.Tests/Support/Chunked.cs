using System.Buffers;
using Vaani.Audio.Conversion;

namespace Vaani.Audio.Tests.Support;

/// <summary>Feeds a converter in chunks of a given size, the way a stream delivers audio.</summary>
internal static class Chunked
{
    /// <summary>Converts <paramref name="input"/> <paramref name="chunk"/> bytes at a time, then flushes; checks the reported byte counts.</summary>
    public static byte[] Convert(AudioConverter converter, byte[] input, int chunk)
    {
        var output = new ArrayBufferWriter<byte>();
        int total = 0;
        for (int pos = 0; pos < input.Length; pos += chunk)
            total += converter.Convert(input.AsSpan(pos, Math.Min(chunk, input.Length - pos)), output);
        total += converter.Flush(output);
        Assert.Equal(total, output.WrittenCount);
        return output.WrittenSpan.ToArray();
    }
}
