using Vaani.Audio.Pcm;

namespace Vaani.Audio.Tests.Pcm;

public class ChannelMixerTests
{
    [Fact]
    public void Downmix_Stereo_Averages()
    {
        float[] st = [1f, 0f, 0.5f, -0.5f, -1f, -1f];
        var mono = new float[3];
        Assert.Equal(3, ChannelMixer.Downmix(st, 2, mono));
        Assert.Equal(new[] { 0.5f, 0f, -1f }, mono);
    }

    [Fact]
    public void Downmix_ThreeChannels_Averages()
    {
        float[] s = [0.3f, 0.6f, 0.9f, -0.3f, 0f, 0.3f];
        var mono = new float[2];
        ChannelMixer.Downmix(s, 3, mono);
        Assert.Equal(0.6f, mono[0], 5);
        Assert.Equal(0f, mono[1], 5);
    }

    [Fact]
    public void ExtractChannel_SecondOfThree_ReturnsThatChannel()
    {
        float[] s = [1, 2, 3, 4, 5, 6];
        var dst = new float[2];
        ChannelMixer.ExtractChannel(s, 3, 1, dst);
        Assert.Equal(new float[] { 2, 5 }, dst);
        Assert.Throws<ArgumentOutOfRangeException>(() => ChannelMixer.ExtractChannel(s, 3, 3, dst));
    }

    [Fact]
    public void Downmix_PartialFrame_Throws()
    {
        Assert.Throws<ArgumentException>(() => ChannelMixer.Downmix(new float[5], 2, new float[3]));
    }

    [Fact]
    public void DuplicateAndInsert_BuildInterleavedFrames()
    {
        var inter = new float[6];
        ChannelMixer.Duplicate([1f, 2f, 3f], 2, inter);
        Assert.Equal(new float[] { 1, 1, 2, 2, 3, 3 }, inter);
        ChannelMixer.InsertChannel([7f, 8f, 9f], 2, 1, inter);
        Assert.Equal(new float[] { 1, 7, 2, 8, 3, 9 }, inter);
    }
}
