using Vaani.Engines.PocketSphinx;
using Vaani.Engines.Tests.TestData;

namespace Vaani.Engines.Tests.PocketSphinx;

[Collection(PocketSphinxCollection.Name)]
public sealed class SessionControlTests(PocketSphinxFixture fixture)
{
    [Fact]
    public async Task FinalizeAsync_MidUtterance_FinalFromFinalizeForAudioSoFar()
    {
        var audio = SpeechTestData.GoForward();
        const int cut = 44_800; // 1.4 s: after "forward", inside "ten"
        using var cts = new CancellationTokenSource(SessionRunner.Timeout);
        List<SttEvent> events;
        await using (var session = await fixture.Engine.StartSessionAsync(new SttSessionOptions(), cts.Token))
        {
            var reader = SessionRunner.CollectAsync(session, cts.Token);
            await SessionRunner.SendAsync(session, audio.AsMemory(0, cut), SessionRunner.OddChunks, cts.Token);
            await session.FinalizeAsync(cts.Token);
            await SessionRunner.SendAsync(session, audio.AsMemory(cut), SessionRunner.OddChunks, cts.Token);
            await session.CompleteAsync(cts.Token);
            events = await reader;
        }

        var forced = events.Finals().First();
        Assert.True(forced.FromFinalize);
        Assert.StartsWith("go forward", forced.Text, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(cut / 32000.0), forced.End);
        Assert.All(forced.Words, w => Assert.True(w.End <= forced.End));
        Assert.Equal(TimeSpan.FromSeconds(audio.Length / 32000.0), events.Finals().Last().End);
        var words = events.Words();
        for (var i = 1; i < words.Count; i++)
            Assert.True(words[i].Start >= words[i - 1].End);
    }

    [Fact]
    public async Task FinalizeAsync_NoAudio_EmptyFinalFromFinalize()
    {
        using var cts = new CancellationTokenSource(SessionRunner.Timeout);
        await using var session = await fixture.Engine.StartSessionAsync(new SttSessionOptions(), cts.Token);
        var reader = SessionRunner.CollectAsync(session, cts.Token);
        await session.FinalizeAsync(cts.Token);
        await session.CompleteAsync(cts.Token);
        var events = await reader;

        var final = Assert.Single(events.Finals());
        Assert.True(final.FromFinalize);
        Assert.Equal(string.Empty, final.Text);
        Assert.Equal(TimeSpan.Zero, final.End);
    }

    [Fact]
    public async Task SendAudioAsync_AfterComplete_ThrowsInvalidOperation()
    {
        using var cts = new CancellationTokenSource(SessionRunner.Timeout);
        await using var session = await fixture.Engine.StartSessionAsync(new SttSessionOptions(), cts.Token);
        await session.CompleteAsync(cts.Token);
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.SendAudioAsync(new byte[320], cts.Token).AsTask());
    }

    [Fact]
    public async Task SendAudioAsync_CancelledToken_ThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource(SessionRunner.Timeout);
        await using var session = await fixture.Engine.StartSessionAsync(new SttSessionOptions(), cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => session.SendAudioAsync(new byte[320], new CancellationToken(canceled: true)).AsTask());
    }

    [Fact]
    public async Task StartSessionAsync_UnsupportedLanguage_ThrowsPermanentEngineException()
    {
        var ex = await Assert.ThrowsAsync<EngineException>(() => fixture.Engine.StartSessionAsync(new SttSessionOptions { Language = "hi" }, CancellationToken.None).AsTask());
        Assert.Equal("unsupported_language", ex.Code);
        Assert.True(ex.IsPermanent);
        Assert.Contains("'hi'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartSessionAsync_NoDecoderFreeAndNoWait_ThrowsEngineBusy()
    {
        await using var engine = await PocketSphinxEngine.CreateAsync(new PocketSphinxOptions { PoolSize = 1, DecoderWait = TimeSpan.Zero }, CancellationToken.None);
        await using var holder = await engine.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);

        var ex = await Assert.ThrowsAsync<EngineException>(() => engine.StartSessionAsync(new SttSessionOptions(), CancellationToken.None).AsTask());
        Assert.Equal("engine_busy", ex.Code);
        Assert.False(ex.IsPermanent);
    }

    [Fact]
    public void Capabilities_Engine_Linear16At16kMonoStreamingWithWordTimings()
    {
        var caps = fixture.Engine.Capabilities;
        Assert.Equal("pocketsphinx", caps.Name);
        Assert.Equal(Vaani.Audio.AudioFormat.Linear16(16000), caps.NativeFormat);
        Assert.True(caps.Streaming);
        Assert.True(caps.WordTimings);
        Assert.Equal(2, caps.MaxConcurrency);
    }

    [Fact]
    public async Task CreateAsync_MissingModelAndBadPool_ReportsEveryError()
    {
        var options = new PocketSphinxOptions { AcousticModel = "/nonexistent/hmm", PoolSize = 0, ExtraArguments = new Dictionary<string, string> { ["-samprate"] = "8000" } };
        var ex = await Assert.ThrowsAsync<AggregateException>(() => PocketSphinxEngine.CreateAsync(options, CancellationToken.None));
        var messages = ex.InnerExceptions.Select(e => e.Message).ToList();
        Assert.Contains(messages, m => m.Contains("/nonexistent/hmm", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("PoolSize 0", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("-samprate", StringComparison.Ordinal));
        Assert.All(ex.InnerExceptions, e => Assert.Equal("invalid_configuration", ((EngineException)e).Code));
    }

    [Fact]
    public async Task CreateAsync_UnknownDecoderArgument_ThrowsInvalidConfiguration()
    {
        var options = new PocketSphinxOptions { PoolSize = 1, ExtraArguments = new Dictionary<string, string> { ["-no_such_flag"] = "1" } };
        var ex = await Assert.ThrowsAsync<EngineException>(() => PocketSphinxEngine.CreateAsync(options, CancellationToken.None));
        Assert.Equal("invalid_configuration", ex.Code);
    }
}
