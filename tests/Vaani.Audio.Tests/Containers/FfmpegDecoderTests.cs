using System.Diagnostics;
using System.IO.Pipelines;
using Vaani.Audio.Containers;

namespace Vaani.Audio.Tests.Containers;

/// <summary>Reference files made once per test class: a sox sine converted by ffmpeg into each container.</summary>
public sealed class EncodedSines : IDisposable
{
    private readonly Tool.TempDir _dir = new();

    public EncodedSines()
    {
        Tool.Run("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", File("sine.wav"), "synth", "1.5", "sine", "440", "vol", "0.5"]);
        Convert("mp3", ["-c:a", "libmp3lame", "-b:a", "64k"]);
        Convert("flac", []);
        Convert("ogg", ["-c:a", "libvorbis"]);
        Convert("opus", ["-c:a", "libopus"]);
        Convert("m4a", ["-c:a", "aac"]);     // moov at the end (no faststart)
        Convert("webm", ["-c:a", "libopus"]);
        Convert("mka", ["-c:a", "flac"]);
        Convert("aac", ["-c:a", "aac"]);     // ADTS
    }

    public string File(string name) => _dir.File(name);

    private void Convert(string extension, string[] codec) =>
        Tool.Run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", File("sine.wav"), .. codec, File("sine." + extension)]);

    public void Dispose() => _dir.Dispose();
}

public class FfmpegDecoderTests(EncodedSines files) : IClassFixture<EncodedSines>
{
    private readonly FfmpegDecoder _decoder = new();

    [Theory]
    [InlineData("wav", AudioContainer.Wav)]
    [InlineData("mp3", AudioContainer.Mp3)]
    [InlineData("flac", AudioContainer.Flac)]
    [InlineData("ogg", AudioContainer.OggVorbis)]
    [InlineData("opus", AudioContainer.OggOpus)]
    [InlineData("m4a", AudioContainer.Mp4)]
    [InlineData("webm", AudioContainer.WebM)]
    [InlineData("mka", AudioContainer.Matroska)]
    [InlineData("aac", AudioContainer.Aac)]
    public async Task DecodeAsync_SineInContainer_RightDurationAndFrequency(string extension, AudioContainer expected)
    {
        await using var input = File.OpenRead(files.File("sine." + extension));
        DecodedAudio audio = await _decoder.DecodeAsync(input, 8000);

        Assert.Equal(expected, audio.Container);
        Assert.Equal(AudioFormat.Linear16(8000), audio.Format);
        // Lossy codecs add encoder padding (MP3 ~50 ms, ADTS AAC ~100 ms); containers with edit lists don't.
        Assert.InRange(audio.Duration.TotalSeconds, 1.49, 1.62);
        Assert.InRange(TestSignals.EstimateFrequency(audio.Samples, 8000), 437, 443);
        Assert.InRange(TestSignals.Rms(audio.Samples), 0.28, 0.43);
    }

    [Fact]
    public async Task DecodeAsync_LongM4aWithIndexAtEnd_DecodesViaTemporaryFile()
    {
        // Large enough that ffmpeg cannot buffer its way to the index when reading a pipe.
        string path = files.File("long.m4a");
        Tool.Run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000:duration=120", "-c:a", "aac", path]);
        await using var input = File.OpenRead(path);
        DecodedAudio audio = await _decoder.DecodeAsync(input, 16000);
        Assert.InRange(audio.Duration.TotalSeconds, 119.9, 120.1);
        Assert.InRange(TestSignals.EstimateFrequency(audio.Samples, 16000), 439, 441);
    }

    [Fact]
    public async Task DecodeAsync_Text_ThrowsWithFfmpegReason()
    {
        byte[] text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("this is not audio. ", 400)));
        var ex = await Assert.ThrowsAsync<AudioFormatException>(() => _decoder.DecodeAsync(new MemoryStream(text), 16000));
        Assert.Equal("audio could not be decoded: input: Invalid data found when processing input", ex.Message);
    }

    [Fact]
    public async Task DecodeAsync_RandomBytes_ThrowsWithoutInternalDetails()
    {
        var garbage = new byte[8192];
        new Random(3).NextBytes(garbage);
        var ex = await Assert.ThrowsAsync<AudioFormatException>(() => _decoder.DecodeAsync(new MemoryStream(garbage), 16000));
        Assert.StartsWith("audio could not be decoded: ", ex.Message);
        Assert.DoesNotContain("@ 0x", ex.Message);
        Assert.DoesNotContain("pipe:", ex.Message);
    }

    [Fact]
    public async Task DecodeAsync_Playlist_IsNotFollowed()
    {
        byte[] playlist = "#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n"u8.ToArray();
        await Assert.ThrowsAsync<AudioFormatException>(() => _decoder.DecodeAsync(new MemoryStream(playlist), 16000));
    }

    [Fact]
    public async Task DecodeAsync_Empty_ThrowsEmpty()
    {
        var ex = await Assert.ThrowsAsync<AudioFormatException>(() => _decoder.DecodeAsync(new MemoryStream(), 16000));
        Assert.Contains("empty", ex.Message);
    }

    [Fact]
    public async Task DecodeAsync_TwoHourFile_RefusedAtDurationLimitQuickly()
    {
        string path = files.File("two-hours.flac");
        Tool.Run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "7200", "-c:a", "flac", path]);
        await using var input = File.OpenRead(path);
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<AudioFormatException>(() =>
            _decoder.DecodeAsync(input, 16000, new DecodeLimits { MaxDuration = TimeSpan.FromMinutes(5) }));
        Assert.Equal("audio is longer than the limit of 300 s", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task DecodeAsync_InputOverByteLimit_Refused()
    {
        await using var input = File.OpenRead(files.File("sine.flac"));
        var ex = await Assert.ThrowsAsync<AudioFormatException>(() =>
            _decoder.DecodeAsync(input, 16000, new DecodeLimits { MaxInputBytes = 1000 }));
        Assert.Equal("audio input is larger than the limit of 1000 bytes", ex.Message);
    }

    [Fact]
    public async Task DecodeAsync_Cancelled_KillsAndReapsProcess()
    {
        // An input that never ends: ffmpeg waits on stdin until it is killed.
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(File.ReadAllBytes(files.File("sine.wav")).AsMemory(0, 4096));
        using var cts = new CancellationTokenSource();
        int pid = 0;
        var decoder = new FfmpegDecoder { ProcessStarted = id => { pid = id; cts.Cancel(); } };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => decoder.DecodeAsync(pipe.Reader.AsStream(), 16000, cancellationToken: cts.Token));

        Assert.NotEqual(0, pid);
        Assert.False(Directory.Exists($"/proc/{pid}"), "ffmpeg is still running or a zombie");
    }

    [Fact]
    public async Task DecodeAsync_Stalled_TimesOutAndKillsProcess()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(File.ReadAllBytes(files.File("sine.wav")).AsMemory(0, 4096));
        int pid = 0;
        var decoder = new FfmpegDecoder { ProcessStarted = id => pid = id };

        var ex = await Assert.ThrowsAsync<TimeoutException>(() =>
            decoder.DecodeAsync(pipe.Reader.AsStream(), 16000, new DecodeLimits { Timeout = TimeSpan.FromMilliseconds(300) }));

        Assert.Contains("did not finish within the limit of 0.3 s", ex.Message);
        Assert.False(Directory.Exists($"/proc/{pid}"), "ffmpeg is still running or a zombie");
    }

    [Fact]
    public async Task DecodeAsync_MissingExecutable_ThrowsInvalidOperation()
    {
        var decoder = new FfmpegDecoder("/nonexistent/ffmpeg");
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => decoder.DecodeAsync(new MemoryStream([1, 2, 3]), 16000));
        Assert.Contains("/nonexistent/ffmpeg", ex.Message);
    }
}
