using Vaani.Audio;

namespace Vaani.Engines.Tests.ESpeak;

[Collection(EspeakCollection.Name)]
public sealed class EspeakVoicesTests
{
    private static readonly string[] IndianAndEnglish = ["hi", "ta", "bn", "te", "en-us", "mr", "gu", "kn", "ml", "pa", "or", "as", "ur", "ne"];

    [Fact]
    public void Capabilities_Always_DescribeAStreamingWordTimedSerialEngine()
    {
        var caps = EspeakTestAudio.Engine().Capabilities;
        Assert.Equal("espeak-ng", caps.Name);
        Assert.Equal(AudioFormat.Linear16(22050), caps.NativeFormat);
        Assert.True(caps.Streaming);
        Assert.True(caps.WordTimings);
        Assert.Equal(1, caps.MaxConcurrency);
    }

    [Fact]
    public void Capabilities_Voices_ListEveryInstalledVoiceIncludingIndianLanguages()
    {
        var caps = EspeakTestAudio.Engine().Capabilities;
        var ids = caps.Voices.Select(v => v.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.True(ids.Count >= 100, $"only {ids.Count} voices listed");
        foreach (var id in IndianAndEnglish)
            Assert.Contains(id, ids);
        Assert.Contains("hi", caps.Languages);
        var hindi = caps.Voices.Single(v => v.Id == "hi");
        Assert.Equal("Hindi", hindi.Name);
        Assert.Equal("hi", hindi.Language);
        Assert.Contains(hindi.Gender, (string[])["male", "female", "unknown"]);
    }

    [Fact]
    public async Task Capabilities_Voices_MatchTheCliVoiceList()
    {
        var start = new System.Diagnostics.ProcessStartInfo("espeak-ng", "--voices") { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        var lines = (await process.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1);
        await process.WaitForExitAsync();
        var cliFiles = lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4]).ToHashSet();
        var voices = EspeakTestAudio.Engine().Capabilities.Voices;
        Assert.Equal(cliFiles.Count, voices.Count);
    }

    [Theory]
    [InlineData("mr")]
    [InlineData("gu")]
    [InlineData("kn")]
    [InlineData("ml")]
    [InlineData("pa")]
    [InlineData("or")]
    [InlineData("as")]
    [InlineData("ur")]
    [InlineData("ne")]
    public async Task SynthesizeAsync_IndianVoice_SpeaksNumbers(string voice)
    {
        var (samples, words) = await EspeakTestAudio.SynthesizeAsync(EspeakTestAudio.Engine(), new TtsRequest { Text = "12 345", Voice = voice });
        Assert.True(EspeakTestAudio.Rms(EspeakTestAudio.Voiced(samples)) > 500);
        Assert.Equal(["12", "345"], words.Select(w => w.Word));
    }

    [Theory]
    [InlineData("hi-IN", "hi")]
    [InlineData("hi_in", "hi")]
    [InlineData("en-US", "en-us")]
    [InlineData("ta-LK", "ta")]
    [InlineData("bn", "bn")]
    public async Task SynthesizeAsync_LanguageTag_PicksTheSameVoiceAsItsId(string language, string voice)
    {
        var engine = EspeakTestAudio.Engine();
        // Large numbers: English says "one hundred thousand", Indian languages count in lakhs.
        const string text = "100000 2500000";
        var (byLanguage, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text, Language = language });
        var (byVoice, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text, Voice = voice });
        var (english, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text, Voice = voice == "en-us" ? "hi" : "en-us" });
        // Same voice: durations agree closely; a different voice speaks the digits in other words.
        Assert.InRange(byLanguage.Length, byVoice.Length * 0.88, byVoice.Length * 1.12);
        Assert.NotInRange(english.Length, byVoice.Length * 0.75, byVoice.Length * 1.33);
    }

    [Fact]
    public async Task SynthesizeAsync_VoiceAndLanguage_VoiceWins()
    {
        var engine = EspeakTestAudio.Engine();
        const string text = "100000 2500000";
        var (both, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text, Voice = "hi", Language = "en-US" });
        var (hindi, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text, Voice = "hi" });
        var (english, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text, Language = "en-US" });
        Assert.InRange(both.Length, hindi.Length * 0.88, hindi.Length * 1.12);
        Assert.NotInRange(english.Length, hindi.Length * 0.75, hindi.Length * 1.33);
    }

    [Fact]
    public async Task SynthesizeAsync_UnknownLanguage_FailsPermanentlyAndSaysWhereTheListIs()
    {
        var e = await Assert.ThrowsAsync<EngineException>(() =>
            EspeakTestAudio.SynthesizeAsync(EspeakTestAudio.Engine(), new TtsRequest { Text = "hello", Language = "xx-YY" }));
        Assert.Equal("unsupported_language", e.Code);
        Assert.True(e.IsPermanent);
        Assert.Contains("xx-YY", e.Message);
        Assert.Contains("vaani voices", e.Message);
    }

    [Fact]
    public async Task SynthesizeAsync_UnknownVoice_FailsPermanently()
    {
        var e = await Assert.ThrowsAsync<EngineException>(() =>
            EspeakTestAudio.SynthesizeAsync(EspeakTestAudio.Engine(), new TtsRequest { Text = "hello", Voice = "../../etc/passwd" }));
        Assert.Equal("unknown_voice", e.Code);
        Assert.True(e.IsPermanent);
    }
}
