using Vaani.Engines.PocketSphinx;
using Vaani.Engines.PocketSphinx.Native;
using Vaani.Engines.Tests.TestData;

namespace Vaani.Engines.Tests.PocketSphinx;

[Collection(PocketSphinxCollection.Name)]
public sealed class DecoderReuseTests(SingleDecoderFixture single) : IClassFixture<SingleDecoderFixture>
{
    [Fact]
    public async Task StartSession_DecoderReusedAfterOtherAudio_IdenticalWordsTimingsAndConfidences()
    {
        var goForward = SpeechTestData.GoForward();
        var fresh = await SessionRunner.RunAsync(single.Engine, goForward, SessionRunner.Chunks20Ms);
        foreach (var clip in SpeechTestData.Librivox())
            await SessionRunner.RunAsync(single.Engine, SpeechTestData.ReadWavPcm16k(clip.WavPath), SessionRunner.Chunks20Ms);
        var reused = await SessionRunner.RunAsync(single.Engine, goForward, SessionRunner.Chunks20Ms);

        Assert.Equal("go forward ten meters", fresh.Transcript());
        Assert.Equal(fresh.Words(), reused.Words());
        Assert.Equal(fresh.Finals().Select(f => (f.Text, f.Confidence, f.Start, f.End)), reused.Finals().Select(f => (f.Text, f.Confidence, f.Start, f.End)));
    }

    [Fact]
    public void Decoder_ReusedWithoutReset_CarriesAdaptationIntoTheNextStream()
    {
        // The control for the test above: without the reset, state learnt from other audio changes
        // the next stream's result; Reset restores it exactly.
        using var decoder = PocketSphinxDecoder.Create(new PocketSphinxOptions().ToArguments());
        var goForward = SpeechTestData.GoForward();
        var fresh = Decode(decoder, goForward);
        Decode(decoder, SpeechTestData.ReadWavPcm16k(SpeechTestData.Librivox()[0].WavPath));
        var leaked = Decode(decoder, goForward);
        decoder.Reset();
        var reset = Decode(decoder, goForward);

        Assert.Equal("go forward ten meters", string.Join(' ', fresh.Select(w => w.Word)));
        Assert.NotEqual(fresh, leaked);
        Assert.Equal(fresh, reset);
    }

    [Fact]
    public void Decoder_ThisBuildsCmnStructure_ResetsInPlace()
    {
        // The other tests here exercise the in-place reset only if the CMN structure is readable;
        // a fallback to ps_reinit would pass them silently.
        using var decoder = PocketSphinxDecoder.Create(new PocketSphinxOptions().ToArguments());
        Assert.True(decoder.ResetsInPlace);
    }

    [Fact]
    public void Reset_AfterALongClipOnTheSameDecoder_DecodesTheNextClipAsANewDecoderDoes()
    {
        var clips = SpeechTestData.Librivox();
        var first = SpeechTestData.ReadWavPcm16k(clips[0].WavPath);
        var second = SpeechTestData.ReadWavPcm16k(clips[1].WavPath);
        List<WordTiming> expected;
        using (var fresh = PocketSphinxDecoder.Create(new PocketSphinxOptions().ToArguments()))
            expected = Decode(fresh, second);

        using var decoder = PocketSphinxDecoder.Create(new PocketSphinxOptions().ToArguments());
        Decode(decoder, first);
        decoder.Reset();
        var reused = Decode(decoder, second);
        decoder.Rebuild();
        var rebuilt = Decode(decoder, second);
        // In place again after a rebuild (which frees and reallocates the CMN structure).
        decoder.Reset();
        Decode(decoder, first);
        decoder.Reset();
        var reusedAfterRebuild = Decode(decoder, second);

        Assert.NotEmpty(expected);
        Assert.Equal(expected, reused);
        Assert.Equal(expected, rebuilt);
        Assert.Equal(expected, reusedAfterRebuild);
    }

    [Fact]
    public void Reset_WithAnUtteranceLeftOpen_EndsItAndTheNextStreamMatchesFresh()
    {
        using var decoder = PocketSphinxDecoder.Create(new PocketSphinxOptions().ToArguments());
        var goForward = SpeechTestData.GoForward();
        var fresh = Decode(decoder, goForward);
        decoder.Reset();
        // A session disposed mid-speech: audio fed, the native utterance never ended.
        var recognizer = new StreamRecognizer(decoder, new SttSessionOptions { InterimResults = false }, new PocketSphinxOptions());
        recognizer.Start();
        recognizer.Feed(SpeechTestData.ReadWavPcm16k(SpeechTestData.Librivox()[0].WavPath).AsSpan(0, 64_000), []);
        decoder.Reset();
        var after = Decode(decoder, goForward);

        Assert.Equal(fresh, after);
    }

    [Fact]
    public async Task DisposeAsync_MidStream_ReaderEndsAndNextSessionMatchesFresh()
    {
        var goForward = SpeechTestData.GoForward();
        var baseline = await SessionRunner.RunAsync(single.Engine, goForward, SessionRunner.Chunks20Ms);

        using var cts = new CancellationTokenSource(SessionRunner.Timeout);
        var session = await single.Engine.StartSessionAsync(new SttSessionOptions(), cts.Token);
        var reader = SessionRunner.CollectAsync(session, cts.Token);
        await SessionRunner.SendAsync(session, goForward.AsMemory(0, 40_000), SessionRunner.Chunks20Ms, cts.Token);
        await session.DisposeAsync();
        await reader; // completes instead of hanging
        await Assert.ThrowsAsync<ObjectDisposedException>(() => session.SendAudioAsync(goForward, cts.Token).AsTask());

        var after = await SessionRunner.RunAsync(single.Engine, goForward, SessionRunner.Chunks20Ms);
        Assert.Equal(baseline.Words(), after.Words());
    }

    [Fact]
    public async Task ReadEventsAsync_CancelledMidStream_ThrowsAndEngineStaysUsable()
    {
        var goForward = SpeechTestData.GoForward();
        using var timeout = new CancellationTokenSource(SessionRunner.Timeout);
        await using (var session = await single.Engine.StartSessionAsync(new SttSessionOptions(), timeout.Token))
        {
            using var readCts = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            var sawEvent = new TaskCompletionSource();
            var reader = Task.Run(async () =>
            {
                await foreach (var e in session.ReadEventsAsync(readCts.Token))
                    sawEvent.TrySetResult();
            });
            await SessionRunner.SendAsync(session, goForward, SessionRunner.Chunks20Ms, timeout.Token);
            await sawEvent.Task.WaitAsync(timeout.Token);
            await readCts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader);
        }

        var after = await SessionRunner.RunAsync(single.Engine, goForward, SessionRunner.Chunks20Ms);
        Assert.Equal("go forward ten meters", after.Transcript());
    }

    [Fact]
    public async Task StartSessionAsync_PoolExhaustedThenCancelled_ThrowsOperationCanceled()
    {
        using var timeout = new CancellationTokenSource(SessionRunner.Timeout);
        await using var holder = await single.Engine.StartSessionAsync(new SttSessionOptions(), timeout.Token);
        using var waitCts = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var waiting = single.Engine.StartSessionAsync(new SttSessionOptions(), waitCts.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await waitCts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public async Task StartSessionAsync_PoolExhausted_WaitsUntilADecoderReturns()
    {
        using var timeout = new CancellationTokenSource(SessionRunner.Timeout);
        var holder = await single.Engine.StartSessionAsync(new SttSessionOptions(), timeout.Token);
        var waiting = single.Engine.StartSessionAsync(new SttSessionOptions(), timeout.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await holder.DisposeAsync();
        await using var next = await waiting;
        Assert.NotNull(next);
    }

    private static List<WordTiming> Decode(PocketSphinxDecoder decoder, byte[] audio)
    {
        var recognizer = new StreamRecognizer(decoder, new SttSessionOptions { InterimResults = false }, new PocketSphinxOptions());
        var events = new List<SttEvent>();
        recognizer.Start();
        recognizer.Feed(audio, events);
        recognizer.Complete(events);
        return events.Words();
    }
}
