using System.Text.Json;

namespace Vaani.Cli.Tests;

public sealed class TranscribeCommandTests
{
    private const string Data = "/usr/share/pocketsphinx/test/data";

    private static string GoForwardWav()
    {
        var path = CliProcess.Temp("goforward.wav");
        if (!File.Exists(path))
            CliProcess.Tool("sox", "-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1", $"{Data}/goforward.raw", path);
        return path;
    }

    [Fact]
    public async Task Transcribe_GoForwardWav_PrintsTheWords()
    {
        var r = await CliProcess.RunAsync("transcribe", GoForwardWav());
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("go forward ten meters\n", r.Stdout);
    }

    [Theory]
    [InlineData("flac")]
    [InlineData("mp3")]
    [InlineData("opus")]
    public async Task Transcribe_OtherContainers_SameWords(string extension)
    {
        var path = CliProcess.Temp($"goforward.{extension}");
        if (!File.Exists(path))
            CliProcess.Tool("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", GoForwardWav(), "-y", path);
        var r = await CliProcess.RunAsync("transcribe", path);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("go forward ten meters\n", r.Stdout);
    }

    [Fact]
    public async Task Transcribe_Json_HasMonotonicWordTimingsAndConfidences()
    {
        var r = await CliProcess.RunAsync("transcribe", GoForwardWav(), "--format", "json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var words = doc.RootElement.GetProperty("segments").EnumerateArray().SelectMany(s => s.GetProperty("words").EnumerateArray()).ToList();
        Assert.Equal(["go", "forward", "ten", "meters"], words.Select(w => w.GetProperty("word").GetString()));
        double last = 0;
        foreach (var w in words)
        {
            double start = w.GetProperty("start").GetDouble(), end = w.GetProperty("end").GetDouble();
            Assert.True(start >= last && end > start && end <= 2.8, $"bad timing {start}-{end}");
            Assert.InRange(w.GetProperty("confidence").GetDouble(), 0.0, 1.0);
            last = end;
        }
    }

    [Fact]
    public async Task Transcribe_RawWithEncoding_SrtAndVtt()
    {
        var srt = await CliProcess.RunAsync("transcribe", $"{Data}/goforward.raw", "--encoding", "linear16", "--sample-rate", "16000", "--format", "srt");
        Assert.StartsWith("1\n00:00:00,", srt.Stdout, StringComparison.Ordinal);
        Assert.Contains("go forward ten meters", srt.Stdout, StringComparison.Ordinal);
        var vtt = await CliProcess.RunAsync("transcribe", $"{Data}/goforward.raw", "--encoding", "linear16", "--format", "vtt");
        Assert.StartsWith("WEBVTT", vtt.Stdout, StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], int, string> HostileInputs()
    {
        var wav = File.ReadAllBytes(GoForwardWav());
        var garbage = new byte[100_000];
        new Random(7).NextBytes(garbage);
        return new TheoryData<string, byte[], int, string>
        {
            { "truncated.wav", wav[..30], 65, "truncated WAV" },
            { "empty.wav", [], 65, "empty" },
            { "garbage.bin", garbage, 65, "not recognised" },
            { "fake.wav", [.. "RIFF"u8, 0xFF, 0xFF, 0xFF, 0x7F, .. "WAVEfmt "u8, 16, 0, 0, 0, 1, 0, 1, 0], 65, "WAV" },
        };
    }

    [Theory]
    [MemberData(nameof(HostileInputs))]
    public async Task Transcribe_HostileInput_ClearErrorAndExitCode(string name, byte[] content, int exitCode, string message)
    {
        var path = CliProcess.Temp(name);
        await File.WriteAllBytesAsync(path, content);
        var r = await CliProcess.RunAsync("transcribe", path);
        Assert.Equal(exitCode, r.ExitCode);
        Assert.Contains(message, r.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("vaani: ", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal); // no stack trace
    }

    [Fact]
    public async Task Transcribe_TwoHourFile_RefusedFromItsHeaderWithTheLimit()
    {
        var path = CliProcess.Temp("two-hours.wav");
        if (!File.Exists(path))
            CliProcess.Tool("sox", "-n", "-r", "8000", "-e", "u-law", "-c", "1", path, "trim", "0", "7200");
        var r = await CliProcess.RunAsync("transcribe", path);
        Assert.Equal(65, r.ExitCode);
        Assert.Contains("7200 s", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("limit is 3600 s", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "transcribe", "/no/such/file.wav" }, 66, "no such file")]
    [InlineData(new[] { "transcribe", "/tmp", }, 64, "directory")]
    [InlineData(new[] { "transcribe", "x.wav", "--format", "docx" }, 64, "text, json, srt or vtt")]
    [InlineData(new[] { "transcribe", "x.wav", "--language", "hi" }, 64, "no speech-to-text model for language 'hi'")]
    [InlineData(new[] { "transcribe" }, 64, "Required argument")]
    [InlineData(new[] { "frobnicate" }, 64, "Unrecognized command")]
    public async Task Cli_UsageErrors_ExitCodeAndMessage(string[] args, int exitCode, string message)
    {
        var r = await CliProcess.RunAsync(args);
        Assert.Equal(exitCode, r.ExitCode);
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
    }
}
