using Vaani.Engines.ESpeak;

namespace Vaani.Engines.Tests.ESpeak;

[Collection(EspeakCollection.Name)]
public sealed class EspeakValidationTests
{
    public static TheoryData<string, TtsRequest> BadRequests => new()
    {
        { "empty_text", new TtsRequest { Text = "" } },
        { "empty_text", new TtsRequest { Text = " \n\t " } },
        { "text_too_long", new TtsRequest { Text = new string('a', 101) } },
        { "invalid_text", new TtsRequest { Text = "abc\ud800def" } },
        { "invalid_text", new TtsRequest { Text = "trailing high \ud83d" } },
        { "invalid_text", new TtsRequest { Text = "\udc00 lone low" } },
        { "invalid_text", new TtsRequest { Text = "nul\0inside" } },
        { "invalid_rate", new TtsRequest { Text = "a", Rate = 0.1 } },
        { "invalid_rate", new TtsRequest { Text = "a", Rate = 4.5 } },
        { "invalid_rate", new TtsRequest { Text = "a", Rate = double.NaN } },
        { "invalid_pitch", new TtsRequest { Text = "a", Pitch = -1 } },
        { "invalid_pitch", new TtsRequest { Text = "a", Pitch = 101 } },
        { "invalid_ssml", new TtsRequest { Text = "<speak>unclosed", IsSsml = true } },
        { "invalid_ssml", new TtsRequest { Text = "plain words", IsSsml = true } },
        { "invalid_ssml", new TtsRequest { Text = "<p>not speak</p>", IsSsml = true } },
        { "invalid_ssml", new TtsRequest { Text = "<speak>a & b</speak>", IsSsml = true } },
        { "invalid_ssml", new TtsRequest { Text = "<!DOCTYPE speak [<!ENTITY x \"xx\">]><speak>&x;</speak>", IsSsml = true } },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task SynthesizeAsync_InvalidRequest_FailsPermanentlyWithItsCode(string code, TtsRequest request)
    {
        var engine = EspeakTestAudio.Engine(new EspeakOptions { MaxTextLength = 100 });
        var e = await Assert.ThrowsAsync<EngineException>(() => EspeakTestAudio.SynthesizeAsync(engine, request));
        Assert.Equal(code, e.Code);
        Assert.True(e.IsPermanent);
    }

    [Fact]
    public async Task SynthesizeAsync_TextTooLong_MessageNamesLengthAndLimit()
    {
        var engine = EspeakTestAudio.Engine(new EspeakOptions { MaxTextLength = 100 });
        var e = await Assert.ThrowsAsync<EngineException>(() => EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = new string('a', 150) }));
        Assert.Contains("150", e.Message);
        Assert.Contains("100", e.Message);
    }

    [Fact]
    public async Task SynthesizeAsync_UnpairedSurrogate_MessageNamesTheOffset()
    {
        var e = await Assert.ThrowsAsync<EngineException>(() =>
            EspeakTestAudio.SynthesizeAsync(EspeakTestAudio.Engine(), new TtsRequest { Text = "abc\ud800def" }));
        Assert.Contains("offset 3", e.Message);
    }

    [Fact]
    public async Task SynthesizeAsync_ExtremeRateAndPitch_Accepted()
    {
        var engine = EspeakTestAudio.Engine();
        var (fast, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = "edge of range", Rate = 4.0, Pitch = 100 });
        var (slow, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = "edge of range", Rate = 0.25, Pitch = 0 });
        Assert.True(slow.Length > fast.Length * 2);
    }

    // Markup eSpeak reads leniently. With validation off it reaches the library untouched: each must
    // finish (or be stopped by the reader) without hanging or crashing the process.
    public static TheoryData<string> HostileSsml => new()
    {
        "<speak>hello",
        "<speak><voice name=\"zz\">unknown voice</voice></speak>",
        "<speak>" + string.Concat(Enumerable.Repeat("<prosody rate=\"slow\">", 2000)) + "deep" + string.Concat(Enumerable.Repeat("</prosody>", 2000)) + "</speak>",
        "<speak><break time=\"99999999s\"/>x<break time=\"-5s\"/>y<break strength=\"bogus\"/></speak>",
        "<speak><" + new string('a', 20000) + ">x</speak>",
        "<speak><p x=\"" + new string('a', 20000) + "\">x</p></speak>",
        "<speak>&#0; &#99999999; &#x110000; &bogus; & < > x</speak>",
        "<speak><audio src=\"file:///etc/passwd\">fallback</audio></speak>",
        "<speak><prosody rate=\"0.0001%\" pitch=\"+1000%\" volume=\"+9999dB\">odd</prosody></speak>",
        "<speak>" + string.Concat(Enumerable.Repeat("<voice name=\"hi\">", 500)) + "x</speak>",
        "<speak><mark name=\"" + new string('m', 5000) + "\"/>x</speak>",
        new string('<', 50000),
        "<speak>" + new string('1', 5000) + "</speak>",
        "<speak><say-as interpret-as=\"characters\">" + string.Concat(Enumerable.Repeat("abc", 3000)) + "</say-as></speak>",
        "</speak></speak><speak><speak>nested</speak>",
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><speak>&b;&b;&b;</speak>",
    };

    [Theory]
    [MemberData(nameof(HostileSsml))]
    public async Task SynthesizeAsync_HostileSsmlUnvalidated_CompletesWithoutCrashing(string ssml)
    {
        var engine = EspeakTestAudio.Engine(new EspeakOptions { ValidateSsml = false });
        long bytes = 0;
        await foreach (var e in engine.SynthesizeAsync(new TtsRequest { Text = ssml, IsSsml = true }, default))
        {
            if (e is TtsAudio audio && (bytes += audio.Audio.Length) > 120 * 2 * EspeakTestAudio.SampleRate)
                break; // two minutes is enough: the reader leaving stops the rest
        }
        var (samples, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = "still alive" });
        Assert.True(EspeakTestAudio.Rms(EspeakTestAudio.Voiced(samples)) > 500);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SynthesizeAsync_SsmlAudioElement_NeverOpensTheSourceFile(bool validate)
    {
        // A real 22050 Hz mono WAV of two seconds of loud tone: the library would load and play it
        // (and for other formats shell out to sox) unless the engine refuses the URI.
        var wav = Path.Combine(Path.GetTempPath(), $"vaani-espeak-tone-{Guid.NewGuid():N}.wav");
        try
        {
            var sox = System.Diagnostics.Process.Start("sox", ["-n", "-r", "22050", "-c", "1", "-b", "16", wav, "synth", "2", "sine", "1000"])!;
            await sox.WaitForExitAsync();
            Assert.Equal(0, sox.ExitCode);
            var engine = EspeakTestAudio.Engine(new EspeakOptions { ValidateSsml = validate });
            var (samples, words) = await EspeakTestAudio.SynthesizeAsync(engine,
                new TtsRequest { Text = $"<speak><audio src=\"{wav}\">fallback</audio></speak>", IsSsml = true });
            Assert.Equal("fallback", Assert.Single(words).Word);
            Assert.True(EspeakTestAudio.Seconds(samples.Length) < 1.5, $"{EspeakTestAudio.Seconds(samples.Length):F2} s: the file was played");
        }
        finally
        {
            File.Delete(wav);
        }
    }

    [Fact]
    public async Task SynthesizeAsync_LargestAllowedSsml_IsStoppedByTheReader()
    {
        var options = new EspeakOptions();
        var body = string.Concat(Enumerable.Repeat("<s>a</s>", (options.MaxTextLength - 20) / 8));
        var engine = EspeakTestAudio.Engine(options);
        var chunks = 0;
        await foreach (var e in engine.SynthesizeAsync(new TtsRequest { Text = "<speak>" + body + "</speak>", IsSsml = true }, default))
        {
            if (e is TtsAudio && ++chunks == 20)
                break;
        }
        Assert.Equal(20, chunks);
    }
}
