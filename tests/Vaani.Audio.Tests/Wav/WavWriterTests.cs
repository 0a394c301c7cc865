using Vaani.Audio.Conversion;
using Vaani.Audio.Tests.Support;
using Vaani.Audio.Wav;

namespace Vaani.Audio.Tests.Wav;

public class WavWriterTests
{
    public static TheoryData<AudioFormat, string, string> Formats => new()
    {
        { AudioFormat.Linear16(16000), "Signed Integer PCM", "16" },
        { AudioFormat.Linear16(44100, 2), "Signed Integer PCM", "16" },
        { AudioFormat.Float32(24000, 3), "Floating Point PCM", "32" },
        { AudioFormat.Mulaw(8000), "u-law", "8" },
        { AudioFormat.Alaw(8000, 2), "A-law", "8" },
    };

    private static byte[] Samples(AudioFormat format, int frames)
    {
        float[] s = Signals.Sine(700, format.SampleRate, frames * format.Channels, 0.7);
        var bytes = new byte[s.Length * format.BytesPerSample];
        SampleCodec.Encode(format.Encoding, s, bytes);
        return bytes;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Write_SeekableFile_SoxiAndSoxReadItBack(AudioFormat format, string soxEncoding, string bits)
    {
        using var dir = new TempDir();
        string path = dir.File("ours.wav");
        byte[] data = Samples(format, 1001); // odd frame count exercises the pad byte for 8-bit mono
        await using (var fs = File.Create(path))
        await using (var writer = new WavStreamWriter(fs, format))
        {
            await writer.WriteAsync(data.AsMemory(0, 5)); // split mid-frame on purpose
            await writer.WriteAsync(data.AsMemory(5));
            await writer.CompleteAsync();
        }

        Assert.Equal(format.SampleRate.ToString(), Sox.Soxi("-r", path));
        Assert.Equal(format.Channels.ToString(), Sox.Soxi("-c", path));
        Assert.Equal("1001", Sox.Soxi("-s", path));
        Assert.Equal(soxEncoding, Sox.Soxi("-e", path));
        Assert.Equal(bits, Sox.Soxi("-b", path));

        string rawArgs = format.Encoding switch
        {
            AudioEncoding.Linear16 => "signed:16",
            AudioEncoding.Float32 => "floating-point:32",
            AudioEncoding.Mulaw => "u-law:8",
            _ => "a-law:8",
        };
        string[] parts = rawArgs.Split(':');
        string back = dir.File("back.raw");
        Sox.Run("-D", path, "-t", "raw", "-e", parts[0], "-b", parts[1], back);
        if (format.Encoding == AudioEncoding.Float32)
        {
            // sox carries samples as 32-bit integers internally, so floats come back within 2^-31.
            float[] expected = Signals.Floats(data), actual = Signals.Floats(File.ReadAllBytes(back));
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
                Assert.InRange(actual[i] - expected[i], -1e-6f, 1e-6f);
        }
        else
        {
            Assert.Equal(data, File.ReadAllBytes(back));
        }

        WavAudio ours = WavReader.Read(File.ReadAllBytes(path));
        Assert.Equal(format, ours.Format);
        Assert.Equal(data, ours.Data);
        Assert.Equal(WavWriter.ToBytes(format, data), File.ReadAllBytes(path));
    }

    [Fact]
    public async Task Write_NonSeekableStream_SizesUnknownAndReadableToEnd()
    {
        var format = AudioFormat.Linear16(16000);
        byte[] data = Samples(format, 1600);
        var pipe = new PipeLikeStream();
        await using (var writer = new WavStreamWriter(pipe, format, leaveOpen: true))
        {
            for (int pos = 0; pos < data.Length; pos += 333)
                await writer.WriteAsync(data.AsMemory(pos, Math.Min(333, data.Length - pos)));
        }
        byte[] file = pipe.Inner.ToArray();
        Assert.Equal(0xFFFFFFFFu, BitConverter.ToUInt32(file, 4));
        Assert.Equal(0xFFFFFFFFu, BitConverter.ToUInt32(file, 40));

        WavAudio ours = WavReader.Read(file);
        Assert.Null(ours.Info.DeclaredDataBytes);
        Assert.Equal(data, ours.Data);

        // sox also reads it as "data to end of file".
        using var dir = new TempDir();
        string path = dir.File("streamed.wav"), back = dir.File("back.raw");
        File.WriteAllBytes(path, file);
        Sox.Run("-D", path, "-t", "raw", "-e", "signed", "-b", "16", back);
        Assert.Equal(data, File.ReadAllBytes(back));
    }

    [Fact]
    public void ToBytes_PartialFrameOrOpus_Throws()
    {
        Assert.Throws<AudioFormatException>(() => WavWriter.ToBytes(AudioFormat.Linear16(16000, 2), new byte[6]));
        Assert.Throws<AudioFormatException>(() => WavWriter.ToBytes(new AudioFormat(AudioEncoding.Opus, 48000), new byte[6]));
    }
}
