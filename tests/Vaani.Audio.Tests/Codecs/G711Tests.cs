using Vaani.Audio.Codecs;
using Vaani.Audio.Tests.Support;

namespace Vaani.Audio.Tests.Codecs;

public class G711Tests
{
    private static readonly string[] RawS16 = ["-D", "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1"];

    private static short[] FullRangeSignal()
    {
        var all = new short[65536];
        for (int i = 0; i < all.Length; i++)
            all[i] = (short)(i - 32768);
        return [.. all, .. Signals.SineShort(440, 8000, 8000, 0.99), .. Signals.SineShort(1000, 8000, 8000, 0.01)];
    }

    [Theory]
    [InlineData("u-law")]
    [InlineData("a-law")]
    public void Encode_AllSixteenBitValuesAndSines_MatchesSoxByteForByte(string encoding)
    {
        short[] pcm = FullRangeSignal();
        byte[] expected = Sox.ConvertRaw(Signals.Bytes(pcm), RawS16, ["-t", "raw", "-e", encoding]);
        var actual = new byte[pcm.Length];
        if (encoding == "u-law") G711.MulawEncode(pcm, actual);
        else G711.AlawEncode(pcm, actual);

        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            if (actual[i] != expected[i])
                Assert.Fail($"sample {i} (pcm {pcm[i]}): ours 0x{actual[i]:X2}, sox 0x{expected[i]:X2}");
        }
    }

    [Theory]
    [InlineData("u-law")]
    [InlineData("a-law")]
    public void Decode_All256Codes_MatchesSox(string encoding)
    {
        byte[] codes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        byte[] soxPcm = Sox.ConvertRaw(codes, ["-t", "raw", "-r", "8000", "-e", encoding, "-c", "1"], ["-t", "raw", "-e", "signed", "-b", "16"]);
        short[] expected = Signals.Shorts(soxPcm);
        var actual = new short[256];
        if (encoding == "u-law") G711.MulawDecode(codes, actual);
        else G711.AlawDecode(codes, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void SingleSample_MatchesSpanVersion()
    {
        short[] pcm = FullRangeSignal();
        var ul = new byte[pcm.Length];
        var al = new byte[pcm.Length];
        G711.MulawEncode(pcm, ul);
        G711.AlawEncode(pcm, al);
        for (int i = 0; i < pcm.Length; i++)
        {
            Assert.Equal(ul[i], G711.MulawEncode(pcm[i]));
            Assert.Equal(al[i], G711.AlawEncode(pcm[i]));
        }
        for (int c = 0; c < 256; c++)
        {
            // Re-encoding a decoded value returns the same code, except μ-law's two zero codes.
            Assert.Equal((byte)c == 0x7F ? (byte)0xFF : (byte)c, G711.MulawEncode(G711.MulawDecode((byte)c)));
            Assert.Equal((byte)c, G711.AlawEncode(G711.AlawDecode((byte)c)));
        }
    }

    [Fact]
    public void Encode_DestinationTooSmall_Throws()
    {
        Assert.Throws<ArgumentException>(() => G711.MulawEncode(new short[4], new byte[3]));
    }
}
