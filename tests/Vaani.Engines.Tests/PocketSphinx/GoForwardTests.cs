using Vaani.Engines.Tests.TestData;

namespace Vaani.Engines.Tests.PocketSphinx;

[Collection(PocketSphinxCollection.Name)]
public sealed class GoForwardTests(PocketSphinxFixture fixture)
{
    private static readonly TimeSpan GoForwardDuration = TimeSpan.FromSeconds(89160 / 32000.0);

    [Fact]
    public async Task Session_GoForwardIn20MsChunks_FinalTextAndMonotonicTimingsInsideAudio()
    {
        var events = await SessionRunner.RunAsync(fixture.Engine, SpeechTestData.GoForward(), SessionRunner.Chunks20Ms);

        Assert.Equal("go forward ten meters", events.Transcript());
        var words = events.Words();
        Assert.Equal(["go", "forward", "ten", "meters"], words.Select(w => w.Word));
        var previousEnd = TimeSpan.Zero;
        foreach (var w in words)
        {
            Assert.True(w.Start >= previousEnd, $"{w.Word} starts at {w.Start} before the previous word ends at {previousEnd}");
            Assert.True(w.End > w.Start, $"{w.Word} has no duration");
            Assert.True(w.End <= GoForwardDuration, $"{w.Word} ends at {w.End}, after the audio");
            Assert.InRange(w.Confidence, 0.0, 1.0);
            previousEnd = w.End;
        }
        // The speech starts about 0.45 s in (pocketsphinx_continuous -time puts "go" at 0.46 s).
        Assert.InRange(words[0].Start.TotalSeconds, 0.3, 0.6);
        Assert.InRange(words[^1].End.TotalSeconds, 1.9, 2.3);
    }

    [Fact]
    public async Task Session_OddSizedChunks_SameFinalsAs20MsChunks()
    {
        var audio = SpeechTestData.GoForward();
        var regular = await SessionRunner.RunAsync(fixture.Engine, audio, SessionRunner.Chunks20Ms);
        var odd = await SessionRunner.RunAsync(fixture.Engine, audio, SessionRunner.OddChunks);

        Assert.Equal(regular.Finals().Select(f => f.Text), odd.Finals().Select(f => f.Text));
        Assert.Equal(regular.Words(), odd.Words());
        Assert.Equal(regular.Finals().Select(f => (f.Start, f.End)), odd.Finals().Select(f => (f.Start, f.End)));
    }

    [Fact]
    public async Task Session_InterimResults_PartialsBeforeFinal()
    {
        var events = await SessionRunner.RunAsync(fixture.Engine, SpeechTestData.GoForward(), SessionRunner.Chunks20Ms,
            new SttSessionOptions { InterimResults = true, InterimInterval = TimeSpan.FromMilliseconds(100) });

        var firstFinal = events.FindIndex(e => e is SttFinal { Text.Length: > 0 });
        var partials = events.Take(firstFinal).OfType<SttPartial>().ToList();
        Assert.NotEmpty(partials);
        Assert.All(partials, p => Assert.True(p.End >= p.Start));
        // Partials are at least one interim interval of audio apart.
        for (var i = 1; i < partials.Count; i++)
            Assert.True(partials[i].End - partials[i - 1].End >= TimeSpan.FromMilliseconds(100));
        Assert.StartsWith("go", partials[^1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_InterimResultsOff_NoPartials()
    {
        var events = await SessionRunner.RunAsync(fixture.Engine, SpeechTestData.GoForward(), SessionRunner.Chunks20Ms,
            new SttSessionOptions { InterimResults = false });

        Assert.DoesNotContain(events, e => e is SttPartial);
        Assert.Equal("go forward ten meters", events.Transcript());
    }

    [Fact]
    public async Task Session_EndOfSpeech_SpeechStartedThenFinalThenUtteranceEnd()
    {
        var audio = SpeechTestData.GoForward().Concat(SpeechTestData.RoomTone(TimeSpan.FromSeconds(1))).ToArray();
        var events = await SessionRunner.RunAsync(fixture.Engine, audio, SessionRunner.Chunks20Ms,
            new SttSessionOptions { InterimResults = false, Endpointing = TimeSpan.FromMilliseconds(500) });

        var started = events.FindIndex(e => e is SttSpeechStarted);
        var final = events.FindIndex(e => e is SttFinal { FromFinalize: false, Text: "go forward ten meters" });
        var end = events.FindIndex(e => e is SttUtteranceEnd);
        Assert.True(started >= 0 && final > started && end == final + 1, string.Join(", ", events));
        var utteranceEnd = (SttUtteranceEnd)events[end];
        Assert.Equal(events.Words()[^1].End, utteranceEnd.LastWordEnd);
        Assert.True(((SttSpeechStarted)events[started]).Timestamp <= events.Words()[0].Start);
    }

    [Fact]
    public async Task Session_AnyAudio_FinalsTileTheWholeStream()
    {
        var audio = SpeechTestData.GoForward().Concat(SpeechTestData.RoomTone(TimeSpan.FromSeconds(1.5))).Concat(SpeechTestData.GoForward()).ToArray();
        var events = await SessionRunner.RunAsync(fixture.Engine, audio, SessionRunner.OddChunks);

        var finals = events.Finals().ToList();
        Assert.Equal(TimeSpan.Zero, finals[0].Start);
        for (var i = 1; i < finals.Count; i++)
            Assert.Equal(finals[i - 1].End, finals[i].Start);
        Assert.Equal(TimeSpan.FromSeconds(audio.Length / 32000.0), finals[^1].End);
    }

    [Fact]
    public async Task Session_SpeechAfterSilence_TimesShiftWithTheAudio()
    {
        var lead = TimeSpan.FromSeconds(1.5);
        var plain = await SessionRunner.RunAsync(fixture.Engine, SpeechTestData.RoomTone(TimeSpan.FromSeconds(0.3)).Concat(SpeechTestData.GoForward()).ToArray(), SessionRunner.Chunks20Ms);
        var shifted = await SessionRunner.RunAsync(fixture.Engine, SpeechTestData.RoomTone(TimeSpan.FromSeconds(0.3) + lead).Concat(SpeechTestData.GoForward()).ToArray(), SessionRunner.Chunks20Ms);

        // The front end's noise tracking sees different lead-ins, so the last word may differ;
        // the first words are clear and must move exactly with the audio.
        var a = plain.Words().Take(3).ToList();
        var b = shifted.Words().Take(3).ToList();
        Assert.Equal(["go", "forward", "ten"], a.Select(w => w.Word));
        Assert.Equal(["go", "forward", "ten"], b.Select(w => w.Word));
        foreach (var (x, y) in a.Zip(b))
            Assert.InRange((y.Start - x.Start - lead).TotalMilliseconds, -30, 30);
    }

    [Fact]
    public async Task Session_TwoUtterances_SecondUtteranceTimesFollowTheFirst()
    {
        var one = SpeechTestData.GoForward();
        var gap = SpeechTestData.RoomTone(TimeSpan.FromSeconds(1.2));
        var audio = one.Concat(gap).Concat(one).ToArray();
        var events = await SessionRunner.RunAsync(fixture.Engine, audio, SessionRunner.Chunks20Ms, new SttSessionOptions { InterimResults = false });

        var spoken = events.Finals().Where(f => f.Text.Length > 0).ToList();
        Assert.Equal(2, spoken.Count);
        Assert.All(spoken, f => Assert.Equal("go forward ten meters", f.Text));
        var offset = TimeSpan.FromSeconds((one.Length + gap.Length) / 32000.0);
        var secondGo = spoken[1].Words[0];
        Assert.InRange((secondGo.Start - offset - spoken[0].Words[0].Start).TotalMilliseconds, -100, 100);
        Assert.True(spoken[1].Start >= spoken[0].End);
    }
}
