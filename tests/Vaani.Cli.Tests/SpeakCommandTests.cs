using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Vaani.Cli.Tests;

public sealed partial class SpeakCommandTests
{
    private static readonly Dictionary<string, string> Texts = new()
    {
        ["en"] = "Good morning. The train to Chennai leaves at nine.",
        ["hi"] = "नमस्ते, आज मौसम बहुत अच्छा है।",
        ["ta"] = "வணக்கம், இன்று வானிலை நன்றாக உள்ளது.",
        ["bn"] = "নমস্কার, আজ আবহাওয়া খুব ভালো।",
        ["te"] = "నమస్కారం, ఈ రోజు వాతావరణం బాగుంది.",
    };

    private static readonly int[] Rates = [8000, 16000, 22050, 24000, 44100, 48000];

    public static TheoryData<string, string, int> Matrix()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var language in Texts.Keys)
            foreach (var format in new[] { "wav", "pcm", "mulaw", "alaw", "opus" })
                foreach (var rate in Rates)
                    if (format != "opus" || rate is 8000 or 16000 or 24000 or 48000)
                        data.Add(language, format, rate);
        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Speak_EveryLanguageFormatAndRate_NonSilentCorrectlyHeadedAudio(string language, string format, int rate)
    {
        var output = CliProcess.Temp($"{language}-{rate}.{format}");
        var r = await CliProcess.RunAsync("speak", Texts[language], "--language", language, "--format", format, "--sample-rate", rate.ToString(CultureInfo.InvariantCulture), "-o", output);
        Assert.True(r.ExitCode == 0, r.Stderr);

        string soxInput;
        switch (format)
        {
            case "wav":
                Assert.Equal(rate.ToString(CultureInfo.InvariantCulture), CliProcess.Tool("soxi", "-r", output).Trim());
                Assert.Equal("1", CliProcess.Tool("soxi", "-c", output).Trim());
                Assert.Equal("16", CliProcess.Tool("soxi", "-b", output).Trim());
                soxInput = output;
                break;
            case "opus":
                Assert.Contains($"Original sample rate: {rate} Hz", CliProcess.Tool("opusinfo", output), StringComparison.Ordinal);
                soxInput = output + ".wav";
                CliProcess.Tool("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", output, "-y", soxInput);
                break;
            default:
                soxInput = output;
                break;
        }
        var rawArgs = format switch
        {
            "pcm" => new[] { "-t", "raw", "-r", rate.ToString(CultureInfo.InvariantCulture), "-e", "signed", "-b", "16", "-c", "1" },
            "mulaw" => ["-t", "raw", "-r", rate.ToString(CultureInfo.InvariantCulture), "-e", "u-law", "-c", "1"],
            "alaw" => ["-t", "raw", "-r", rate.ToString(CultureInfo.InvariantCulture), "-e", "a-law", "-c", "1"],
            _ => [],
        };
        var (seconds, rms) = SoxStat([.. rawArgs, soxInput]);
        Assert.InRange(seconds, 1.0, 10.0);
        Assert.True(rms > 0.02, $"audio is (nearly) silent: RMS {rms}");
    }

    [Theory]
    [InlineData("en")]
    [InlineData("hi")]
    [InlineData("ta")]
    [InlineData("bn")]
    [InlineData("te")]
    public async Task Speak_Timestamps_MonotonicWithinAudioAndMapBackToText(string language)
    {
        var output = CliProcess.Temp($"ts-{language}.wav");
        var timestamps = CliProcess.Temp($"ts-{language}.json");
        var text = Texts[language];
        var r = await CliProcess.RunAsync("speak", text, "-l", language, "-o", output, "--timestamps", timestamps);
        Assert.True(r.ExitCode == 0, r.Stderr);
        double duration = double.Parse(CliProcess.Tool("soxi", "-D", output).Trim(), CultureInfo.InvariantCulture);
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(timestamps));
        var words = doc.RootElement.GetProperty("words").EnumerateArray().ToList();
        Assert.True(words.Count >= 3, $"only {words.Count} words timed");
        double last = 0;
        foreach (var w in words)
        {
            double start = w.GetProperty("start").GetDouble(), end = w.GetProperty("end").GetDouble();
            Assert.True(start >= last - 1e-6 && end >= start && end <= duration + 0.01, $"bad timing {start}-{end} (audio {duration})");
            last = start;
            var mapped = text.Substring(w.GetProperty("text_offset").GetInt32(), w.GetProperty("text_length").GetInt32());
            Assert.Equal(w.GetProperty("word").GetString(), mapped);
        }
    }

    [Fact]
    public async Task Speak_Ssml_BreakLengthensAudio()
    {
        var plain = CliProcess.Temp("ssml-plain.wav");
        var paused = CliProcess.Temp("ssml-break.wav");
        Assert.Equal(0, (await CliProcess.RunAsync("speak", "<speak>hello world</speak>", "--ssml", "-l", "en", "-o", plain)).ExitCode);
        Assert.Equal(0, (await CliProcess.RunAsync("speak", "<speak>hello <break time=\"1s\"/> world</speak>", "--ssml", "-l", "en", "-o", paused)).ExitCode);
        double a = double.Parse(CliProcess.Tool("soxi", "-D", plain).Trim(), CultureInfo.InvariantCulture);
        double b = double.Parse(CliProcess.Tool("soxi", "-D", paused).Trim(), CultureInfo.InvariantCulture);
        Assert.InRange(b - a, 0.6, 1.4);
    }

    [Fact]
    public async Task Voices_ListsIndianLanguages()
    {
        var r = await CliProcess.RunAsync("voices", "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var ids = doc.RootElement.EnumerateArray().Select(v => v.GetProperty("id").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "hi", "bn", "ta", "te", "mr", "gu", "kn", "ml", "pa", "or", "as", "ur", "ne", "en-us" }, ids);
    }

    [Theory]
    [InlineData(new[] { "speak", "hi", "-l", "xx", "-o", "/tmp/x.wav" }, 64, "vaani voices")]
    [InlineData(new[] { "speak", "hi", "-o", "/tmp/x.wav", "--rate", "9" }, 64, "--rate 9 is out of range")]
    [InlineData(new[] { "speak", "hi", "-o", "/tmp/x.wav", "--format", "mp4" }, 64, "wav, pcm, mulaw, alaw or opus")]
    [InlineData(new[] { "speak", "hi", "-o", "/tmp/x.wav", "--sample-rate", "11025" }, 64, "not supported")]
    [InlineData(new[] { "speak", "<speak>hi <break", "--ssml", "-o", "/tmp/x.wav" }, 64, "not well-formed")]
    [InlineData(new[] { "speak", "hi", "-o", "/no/such/dir/x.wav" }, 64, "cannot write")]
    [InlineData(new[] { "speak", "   ", "-o", "/tmp/x.wav" }, 64, "empty")]
    public async Task Speak_BadInput_ExitCodeAndMessage(string[] args, int exitCode, string message)
    {
        var r = await CliProcess.RunAsync(args);
        Assert.Equal(exitCode, r.ExitCode);
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Speak_InvalidUtf8OnStdin_ClearError()
    {
        var r = await CliProcess.RunAsync([0x68, 0x69, 0x20, 0xFF, 0xFE, 0x21], "speak", "-", "-o", CliProcess.Temp("bad.wav"));
        Assert.Equal(64, r.ExitCode);
        Assert.Contains("not valid UTF-8", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Speak_HugeSsmlFile_RefusedNotCrashed()
    {
        var path = CliProcess.Temp("huge.ssml");
        await File.WriteAllTextAsync(path, "<speak>" + string.Concat(Enumerable.Repeat("<s>hello</s>", 200_000)) + "</speak>");
        var r = await CliProcess.RunAsync("speak", "--text-file", path, "--ssml", "-o", CliProcess.Temp("huge.wav"));
        Assert.Equal(64, r.ExitCode);
        Assert.Contains("larger than", r.Stderr, StringComparison.Ordinal);
    }

    private static (double Seconds, double Rms) SoxStat(string[] input)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("sox") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in input) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("-n");
        psi.ArgumentList.Add("stat");
        using var p = System.Diagnostics.Process.Start(psi)!;
        var text = p.StandardError.ReadToEnd();
        p.WaitForExit();
        double Get(string name) => double.Parse(StatLine().Matches(text).First(m => m.Groups[1].Value.Trim() == name).Groups[2].Value, CultureInfo.InvariantCulture);
        return (Get("Length (seconds)"), Get("RMS     amplitude"));
    }

    [GeneratedRegex(@"^(.+?):\s+(-?[0-9.]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex StatLine();
}
