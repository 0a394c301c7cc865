using System.Globalization;
using Xunit.Abstractions;

namespace Vaani.Engines.Tests.ESpeak;

[Collection(EspeakCollection.Name)]
public sealed class EspeakSpeechTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Texts => new()
    {
        { "en", "The quick brown fox jumps over the lazy dog. Speech synthesis should sound clear and natural." },
        { "hi", "नमस्ते, आज मौसम बहुत अच्छा है। हम शाम को बाज़ार जा रहे हैं।" },
        { "ta", "வணக்கம், இன்று வானிலை மிகவும் நன்றாக உள்ளது. நாங்கள் கடைக்குச் செல்கிறோம்." },
        { "bn", "নমস্কার, আজ আবহাওয়া খুব ভালো। আমরা বিকেলে বাজারে যাচ্ছি।" },
        { "te", "నమస్కారం, ఈ రోజు వాతావరణం చాలా బాగుంది. మేము సాయంత్రం బజారుకు వెళ్తున్నాము." },
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public async Task SynthesizeAsync_Language_MatchesCliDurationAndEnergy(string language, string text)
    {
        var engine = EspeakTestAudio.Engine();
        var (samples, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text, Language = language });
        var reference = await EspeakTestAudio.CliAsync(language, text);

        var voiced = EspeakTestAudio.Voiced(samples);
        var referenceVoiced = EspeakTestAudio.Voiced(reference);
        var seconds = EspeakTestAudio.Seconds(voiced.Length);
        var referenceSeconds = EspeakTestAudio.Seconds(referenceVoiced.Length);
        var rms = EspeakTestAudio.Rms(voiced);
        var referenceRms = EspeakTestAudio.Rms(referenceVoiced);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{language}: engine {seconds:F2} s rms {rms:F0}; cli {referenceSeconds:F2} s rms {referenceRms:F0}"));
        // Roughly 1.5-12 words per second of speech: catches silence, truncation and runaway output.
        var words = text.Split(' ').Length;
        Assert.InRange(seconds, words / 12.0, words / 1.5);
        Assert.True(rms > 500, $"speech RMS {rms:F0} is near silence");
        // Same library, same data: only the utterance-to-utterance state eSpeak carries differs.
        Assert.InRange(seconds, referenceSeconds * 0.95, referenceSeconds * 1.05);
        Assert.InRange(rms, referenceRms * 0.95, referenceRms * 1.05);
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public async Task SynthesizeAsync_Language_WordTimingsAreMonotonicAndPointAtTheWords(string language, string text)
    {
        var engine = EspeakTestAudio.Engine();
        var (samples, words) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text, Language = language });
        var duration = TimeSpan.FromSeconds(EspeakTestAudio.Seconds(samples.Length));

        // Each word is a space-separated token without its punctuation, in order. eSpeak may speak
        // two tokens as one word (Tamil joins a word ending in a pulli with the next one), so at
        // most one token per sentence goes without its own word.
        var tokens = text.Split(' ').Select(t => t.TrimEnd(',', '.', '।')).ToList();
        var next = 0;
        foreach (var w in words)
        {
            next = tokens.IndexOf(w.Word, next);
            Assert.True(next >= 0, $"'{w.Word}' is not one of the remaining tokens of the text");
            next++;
        }
        Assert.InRange(words.Count, tokens.Count - 2, tokens.Count);
        if (language is "en" or "hi")
            Assert.Equal(tokens, words.Select(w => w.Word));
        var previousEnd = TimeSpan.Zero;
        foreach (var w in words)
        {
            Assert.Equal(w.Word, text.Substring(w.TextOffset, w.TextLength));
            Assert.True(w.Start >= previousEnd, $"'{w.Word}' starts at {w.Start} before the previous word ended at {previousEnd}");
            Assert.True(w.End > w.Start, $"'{w.Word}' has an empty span");
            Assert.True(w.End <= duration, $"'{w.Word}' ends at {w.End}, after the audio ({duration})");
            previousEnd = w.End;
        }
    }

    [Fact]
    public async Task SynthesizeAsync_WordEvents_ArriveAfterTheAudioTheyDescribe()
    {
        var engine = EspeakTestAudio.Engine();
        long audioBytes = 0;
        await foreach (var e in engine.SynthesizeAsync(new TtsRequest { Text = "one two three four five six seven eight nine ten" }, default))
        {
            if (e is TtsAudio audio)
                audioBytes += audio.Audio.Length;
            else if (e is TtsWord word)
                Assert.True(word.End.TotalSeconds <= audioBytes / 2.0 / EspeakTestAudio.SampleRate + 1e-9,
                    $"'{word.Word}' ({word.End}) was announced before its audio");
        }
    }

    [Fact]
    public async Task SynthesizeAsync_NonBmpCharacters_MapToUtf16Offsets()
    {
        var engine = EspeakTestAudio.Engine();
        const string text = "a 😀 b 𝄞 café e-mail Smith's, 123 apples.";
        var (_, words) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text, Language = "en" });
        Assert.Contains(words, w => w.Word == "b" && w.TextOffset == text.IndexOf('b', StringComparison.Ordinal));
        Assert.Contains(words, w => w.Word == "café" && w.TextOffset == text.IndexOf("café", StringComparison.Ordinal));
        Assert.Contains(words, w => w.Word == "e-mail");
        Assert.Contains(words, w => w.Word == "Smith's");
        Assert.Contains(words, w => w.Word == "123");
        Assert.Equal("apples", words[^1].Word);
        Assert.All(words, w => Assert.Equal(w.Word, text.Substring(w.TextOffset, w.TextLength)));
    }

    [Fact]
    public async Task SynthesizeAsync_FasterRate_ShortensSpeech()
    {
        var engine = EspeakTestAudio.Engine();
        const string text = "This sentence is spoken at two different speaking rates for comparison.";
        var (normal, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text });
        var (fast, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text, Rate = 2.0 });
        var (slow, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text, Rate = 0.5 });
        var ratio = (double)EspeakTestAudio.Voiced(fast).Length / EspeakTestAudio.Voiced(normal).Length;
        Assert.InRange(ratio, 0.35, 0.7);
        // 0.5 × 175 wpm is below eSpeak's 80 wpm floor and is clamped there: 175/80 ≈ 2.2× longer.
        var slowRatio = (double)EspeakTestAudio.Voiced(slow).Length / EspeakTestAudio.Voiced(normal).Length;
        Assert.InRange(slowRatio, 1.6, 2.8);
    }

    [Fact]
    public async Task SynthesizeAsync_HigherPitch_RaisesFundamental()
    {
        var engine = EspeakTestAudio.Engine();
        const string text = "aaaah";
        var (low, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text, Pitch = 10 });
        var (high, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = text, Pitch = 90 });
        Assert.True(ZeroCrossingRate(high) > ZeroCrossingRate(low) * 1.15,
            string.Create(CultureInfo.InvariantCulture, $"zero-crossing rate {ZeroCrossingRate(high):F4} (pitch 90) vs {ZeroCrossingRate(low):F4} (pitch 10)"));
    }

    [Fact]
    public async Task SynthesizeAsync_Ssml_BreakAddsHalfASecondBetweenWords()
    {
        var engine = EspeakTestAudio.Engine();
        var (plain, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = "<speak>hello world</speak>", IsSsml = true });
        const string ssml = "<speak>hello <break time=\"500ms\"/> world</speak>";
        var (withBreak, words) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = ssml, IsSsml = true });

        var added = EspeakTestAudio.Seconds(withBreak.Length - plain.Length);
        Assert.InRange(added, 0.35, 0.65);
        Assert.Equal(["hello", "world"], words.Select(w => w.Word));
        Assert.Equal(ssml.IndexOf("world", StringComparison.Ordinal), words[1].TextOffset);
        var gap = (words[1].Start - words[0].End).TotalSeconds;
        Assert.InRange(gap, 0.4, 0.8);
    }

    [Fact]
    public async Task SynthesizeAsync_SsmlEntitiesAndHindi_OffsetsReferToTheSsmlText()
    {
        var engine = EspeakTestAudio.Engine();
        const string ssml = "<speak>caf&#233; <break time=\"100ms\"/> <voice name=\"hi\">नमस्ते दुनिया</voice></speak>";
        var (samples, words) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = ssml, IsSsml = true });
        Assert.True(EspeakTestAudio.Rms(EspeakTestAudio.Voiced(samples)) > 500);
        Assert.Equal(["caf&#233;", "नमस्ते", "दुनिया"], words.Select(w => w.Word));
        Assert.All(words, w => Assert.Equal(w.Word, ssml.Substring(w.TextOffset, w.TextLength)));
    }

    [Fact]
    public async Task SynthesizeAsync_SsmlVersusCli_SameDuration()
    {
        var engine = EspeakTestAudio.Engine();
        const string ssml = "<speak>one <break time=\"700ms\"/> two <prosody rate=\"slow\">three four</prosody></speak>";
        var (samples, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = ssml, IsSsml = true });
        var reference = await EspeakTestAudio.CliAsync("en", ssml, ssml: true);
        var seconds = EspeakTestAudio.Seconds(EspeakTestAudio.Voiced(samples).Length);
        var referenceSeconds = EspeakTestAudio.Seconds(EspeakTestAudio.Voiced(reference).Length);
        Assert.InRange(seconds, referenceSeconds * 0.8, referenceSeconds * 1.2);
    }

    private static double ZeroCrossingRate(short[] samples)
    {
        var voiced = EspeakTestAudio.Voiced(samples);
        var crossings = 0;
        for (var i = 1; i < voiced.Length; i++)
        {
            if ((voiced[i - 1] < 0) != (voiced[i] < 0))
                crossings++;
        }
        return (double)crossings / voiced.Length;
    }
}
