using System.Text;
using Vaani.Audio.Containers;

namespace Vaani.Audio.Tests.Containers;

public class ContainerSnifferTests
{
    private static byte[] Bytes(string ascii, int pad = 64) =>
        [.. Encoding.Latin1.GetBytes(ascii), .. new byte[Math.Max(0, pad - ascii.Length)]];

    [Theory]
    [InlineData("RIFF\0\0\0\0WAVEfmt ", AudioContainer.Wav)]
    [InlineData("RF64\xff\xff\xff\xffWAVEds64", AudioContainer.Rf64)]
    [InlineData("fLaC\0\0\0\x22", AudioContainer.Flac)]
    [InlineData("ID3\x04\0\0\0\0\0\0", AudioContainer.Mp3)]
    [InlineData("\xff\xfb\x90\x64", AudioContainer.Mp3)]
    [InlineData("\xff\xf1\x50\x80", AudioContainer.Aac)]
    [InlineData("\0\0\0 ftypM4A \0\0\0\0", AudioContainer.Mp4)]
    [InlineData("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", AudioContainer.WebM)]
    [InlineData("\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", AudioContainer.Matroska)]
    [InlineData("\0\0\0\0\x01\0\xff\xff", AudioContainer.Raw)]
    [InlineData("\xff\xff\xff\xff", AudioContainer.Raw)]
    public void Detect_MagicBytes_ReturnsContainer(string header, AudioContainer expected) =>
        Assert.Equal(expected, ContainerSniffer.Detect(Bytes(header)));

    [Fact]
    public void Detect_OggPages_TellsOpusFromVorbis()
    {
        // 26 header bytes, 1 lacing value, then the first packet.
        string page = "OggS" + new string('\0', 22) + "\x01\x13";
        Assert.Equal(AudioContainer.OggOpus, ContainerSniffer.Detect(Bytes(page + "OpusHead\x01\x01")));
        Assert.Equal(AudioContainer.OggVorbis, ContainerSniffer.Detect(Bytes(page + "\x01vorbis\0\0")));
        Assert.Equal(AudioContainer.Ogg, ContainerSniffer.Detect(Bytes(page + "\x7f" + "FLAC")));
    }

    [Fact]
    public void Detect_OwnOggOpusWriterOutput_IsOggOpus()
    {
        var output = new MemoryStream();
        using var writer = new OggOpusWriter(output, 16000, 1);
        Assert.Equal(AudioContainer.OggOpus, ContainerSniffer.Detect(output.ToArray().AsSpan(0, ContainerSniffer.HeaderLength)));
    }

    [Fact]
    public void Detect_TooShort_ReturnsRaw() => Assert.Equal(AudioContainer.Raw, ContainerSniffer.Detect([0x52, 0x49]));
}
