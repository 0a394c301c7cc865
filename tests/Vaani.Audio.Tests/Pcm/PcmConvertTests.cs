using Vaani.Audio.Pcm;
using Vaani.Audio.Tests.Support;

namespace Vaani.Audio.Tests.Pcm;

public class PcmConvertTests
{
    [Fact]
    public void Linear16ToFloatAndBack_AllValues_RoundTripExactly()
    {
        short[] all = Enumerable.Range(short.MinValue, 65536).Select(v => (short)v).ToArray();
        var f = new float[all.Length];
        var back = new short[all.Length];
        PcmConvert.Linear16ToFloat(all, f);
        PcmConvert.FloatToLinear16(f, back);
        Assert.Equal(all, back);
        Assert.Equal(-1f, f[0]);
        Assert.True(f[^1] < 1f);
    }

    [Fact]
    public void FloatToLinear16_OutOfRangeAndNaN_SaturatesAndZeroes()
    {
        float[] src = [2f, -2f, 1f, -1f, float.NaN, float.PositiveInfinity, 0.5f];
        var dst = new short[src.Length];
        PcmConvert.FloatToLinear16(src, dst);
        Assert.Equal(new short[] { 32767, -32768, 32767, -32768, 0, 32767, 16384 }, dst);
    }

    [Fact]
    public void Linear16Bytes_MatchSoxFloatConversion()
    {
        short[] pcm = Signals.SineShort(440, 16000, 1600, 0.9);
        byte[] soxFloat = Sox.ConvertRaw(Signals.Bytes(pcm), ["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1"], ["-t", "raw", "-e", "float", "-b", "32"]);
        var ours = new float[pcm.Length];
        PcmConvert.Linear16BytesToFloat(Signals.Bytes(pcm), ours);
        Assert.Equal(Signals.Floats(soxFloat), ours);
    }

    [Fact]
    public void Linear16BytesToFloat_OddByteCount_Throws()
    {
        Assert.Throws<ArgumentException>(() => PcmConvert.Linear16BytesToFloat(new byte[3], new float[2]));
    }

    [Fact]
    public void FloatBytes_RoundTrip()
    {
        float[] s = Signals.Sine(100, 8000, 100);
        var bytes = new byte[400];
        var back = new float[100];
        PcmConvert.FloatToFloat32Bytes(s, bytes);
        PcmConvert.Float32BytesToFloat(bytes, back);
        Assert.Equal(s, back);
    }
}
