using Vaani.Audio.Tests.Support;
using Vaani.Audio.Wav;

namespace Vaani.Audio.Tests.Wav;

public class WavReaderSoxTests
{
    private static readonly string[] RawIn = ["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "2"];

    // A stereo signal spanning the full 16-bit range so conversions are exercised everywhere.
    private static byte[] Source()
    {
        short[] l = Signals.SineShort(440, 16000, 4000, 0.99);
        short[] r = Signals.SineShort(1234, 16000, 4000, 0.3);
        var inter = new short[8000];
        for (int i = 0; i < 4000; i++)
        {
            inter[2 * i] = l[i];
            inter[(2 * i) + 1] = (short)(r[i] + (i % 7) - 3);
        }
        return Signals.Bytes(inter);
    }

    public static TheoryData<string, string[], string[], AudioEncoding, int, bool> SoxKinds => new()
    {
        // name, sox output args, sox args for the expected raw in our output encoding, encoding, source bits, extensible
        { "pcm16", ["-t", "wavpcm", "-e", "signed", "-b", "16"], ["-e", "signed", "-b", "16"], AudioEncoding.Linear16, 16, false },
        { "pcm8", ["-t", "wavpcm", "-e", "unsigned", "-b", "8"], ["-e", "signed", "-b", "16"], AudioEncoding.Linear16, 8, false },
        { "pcm24", ["-t", "wavpcm", "-e", "signed", "-b", "24"], ["-e", "signed", "-b", "16"], AudioEncoding.Linear16, 24, false },
        { "pcm32", ["-t", "wavpcm", "-e", "signed", "-b", "32"], ["-e", "signed", "-b", "16"], AudioEncoding.Linear16, 32, false },
        { "float32", ["-t", "wavpcm", "-e", "floating-point", "-b", "32"], ["-e", "floating-point", "-b", "32"], AudioEncoding.Float32, 32, false },
        { "float64", ["-t", "wavpcm", "-e", "floating-point", "-b", "64"], ["-e", "floating-point", "-b", "32"], AudioEncoding.Float32, 64, false },
        { "ulaw", ["-t", "wavpcm", "-e", "u-law"], ["-e", "u-law"], AudioEncoding.Mulaw, 8, false },
        { "alaw", ["-t", "wavpcm", "-e", "a-law"], ["-e", "a-law"], AudioEncoding.Alaw, 8, false },
        { "ext24", ["-t", "wav", "-e", "signed", "-b", "24"], ["-e", "signed", "-b", "16"], AudioEncoding.Linear16, 24, true },
        { "ext32", ["-t", "wav", "-e", "signed", "-b", "32"], ["-e", "signed", "-b", "16"], AudioEncoding.Linear16, 32, true },
    };

    [Theory]
    [MemberData(nameof(SoxKinds))]
    public async Task Read_WavWrittenBySox_MatchesSoxDecode(string name, string[] wavArgs, string[] rawArgs, AudioEncoding encoding, int bits, bool extensible)
    {
        using var dir = new TempDir();
        string raw = dir.File("in.raw"), wav = dir.File(name + ".wav"), expected = dir.File("expected.raw");
        File.WriteAllBytes(raw, Source());
        Sox.Run(["-D", .. RawIn, raw, .. wavArgs, wav]);
        Sox.Run(["-D", wav, "-t", "raw", .. rawArgs, expected]);
        byte[] file = File.ReadAllBytes(wav);

        WavAudio audio = WavReader.Read(file);
        Assert.Equal(new AudioFormat(encoding, 16000, 2), audio.Format);
        Assert.Equal(bits, audio.Info.SourceBitsPerSample);
        Assert.Equal(extensible, audio.Info.IsExtensible);
        Assert.False(audio.IsTruncated);
        Assert.True(File.ReadAllBytes(expected).AsSpan().SequenceEqual(audio.Data), $"{name}: samples differ from sox's decode");

        // The streaming reader, fed a few bytes at a time, returns the same samples.
        await using WavStreamReader reader = await WavStreamReader.OpenAsync(new TrickleStream(file, 37));
        var collected = new MemoryStream();
        var buf = new byte[100];
        int n;
        while ((n = await reader.ReadAsync(buf)) > 0)
        {
            Assert.Equal(0, n % audio.Format.BytesPerFrame);
            collected.Write(buf, 0, n);
        }
        Assert.Equal(audio.Data, collected.ToArray());
    }

    [Fact]
    public async Task Read_FfmpegPipedWav_ReadsToEndDespiteUnknownSizes()
    {
        using var dir = new TempDir();
        string raw = dir.File("in.raw"), piped = dir.File("piped.wav");
        File.WriteAllBytes(raw, Source());
        var psi = new System.Diagnostics.ProcessStartInfo("sh", ["-c", $"ffmpeg -loglevel error -f s16le -ar 16000 -ac 2 -i '{raw}' -f wav - | cat > '{piped}'"]);
        using (var p = System.Diagnostics.Process.Start(psi)!)
            await p.WaitForExitAsync();
        byte[] file = File.ReadAllBytes(piped);
        Assert.Equal(0xFFFFFFFFu, BitConverter.ToUInt32(file, 4)); // really a streamed header

        WavAudio audio = WavReader.Read(file);
        Assert.Null(audio.Info.DeclaredDataBytes);
        Assert.Equal(Source(), audio.Data);
    }

    [Fact]
    public void Read_FfmpegExtensibleFloatThreeChannels_MatchesSoxDecode()
    {
        using var dir = new TempDir();
        string wav = dir.File("f3.wav"), expected = dir.File("expected.raw");
        var psi = new System.Diagnostics.ProcessStartInfo("ffmpeg", ["-loglevel", "error", "-f", "lavfi", "-i", "sine=f=440:r=16000:d=0.25", "-ac", "3", "-c:a", "pcm_f32le", wav]);
        using (var p = System.Diagnostics.Process.Start(psi)!)
            p.WaitForExit();
        Sox.Run("-D", wav, "-t", "raw", "-e", "floating-point", "-b", "32", expected);

        WavAudio audio = WavReader.Read(File.ReadAllBytes(wav));
        Assert.True(audio.Info.IsExtensible);
        Assert.Equal(3, audio.Info.FormatTag);
        Assert.Equal(AudioFormat.Float32(16000, 3), audio.Format);
        float[] ours = Signals.Floats(audio.Data), sox = Signals.Floats(File.ReadAllBytes(expected));
        Assert.Equal(sox.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++)
            Assert.InRange(ours[i] - sox[i], -1e-6f, 1e-6f); // sox carries samples as 32-bit integers
    }
}
