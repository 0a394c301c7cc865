using Vaani.Engines;
using Vaani.Engines.Passthrough;
using Vaani.Workers.Tests.Infrastructure;

namespace Vaani.Workers.Tests.Passthrough;

public sealed class PassthroughEngineTests
{
    [Fact]
    public async Task FinalizeAsync_AfterTwoAndAHalfSeconds_EmitsTwoWordsThenRemainderCarriesOver()
    {
        var engine = new PassthroughSttEngine();
        await using var session = await engine.StartSessionAsync(new SttSessionOptions { InterimResults = false }, CancellationToken.None);
        var audio = TestAudio.Linear16(4);
        // Odd-sized chunks, including a chunk that splits a sample.
        foreach (var chunk in TestAudio.Chunks(audio[..80000], 333))
            await session.SendAudioAsync(chunk, CancellationToken.None);
        await session.FinalizeAsync(CancellationToken.None);
        foreach (var chunk in TestAudio.Chunks(audio[80000..], 777))
            await session.SendAudioAsync(chunk, CancellationToken.None);
        await session.CompleteAsync(CancellationToken.None);

        var events = new List<SttEvent>();
        await foreach (var e in session.ReadEventsAsync(CancellationToken.None))
            events.Add(e);

        var finals = events.Cast<SttFinal>().ToList();
        Assert.Equal(["w0 w1", "w2 w3"], finals.Select(f => f.Text));
        Assert.Equal(TimeSpan.FromSeconds(2.5), finals[0].End);
        Assert.Equal(TimeSpan.FromSeconds(2.5), finals[1].Start);
        Assert.Equal(new WordTiming("w2", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3), 1.0), finals[1].Words[0]);
    }

    [Fact]
    public async Task SendAudioAsync_AfterComplete_ThrowsPermanentSessionCompleted()
    {
        await using var session = await new PassthroughSttEngine().StartSessionAsync(new SttSessionOptions(), CancellationToken.None);
        await session.CompleteAsync(CancellationToken.None);

        var ex = await Assert.ThrowsAsync<EngineException>(async () => await session.SendAudioAsync(new byte[2], CancellationToken.None));

        Assert.Equal("session_completed", ex.Code);
        Assert.True(ex.IsPermanent);
    }

    [Fact]
    public async Task SynthesizeAsync_ThreeWords_YieldsWordMarksAndFixedAudioPerWord()
    {
        var events = new List<TtsEvent>();
        await foreach (var e in new PassthroughTtsEngine().SynthesizeAsync(new TtsRequest { Text = "  one two\tthree " }, CancellationToken.None))
            events.Add(e);

        var words = events.OfType<TtsWord>().ToList();
        Assert.Equal(["one", "two", "three"], words.Select(w => w.Word));
        Assert.Equal(6, words[1].TextOffset);
        Assert.Equal(TimeSpan.FromMilliseconds(400), words[2].Start);
        Assert.Equal(3 * PassthroughTtsEngine.BytesPerWord, events.OfType<TtsAudio>().Sum(a => a.Audio.Length));
    }
}
