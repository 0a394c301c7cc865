using System.Diagnostics;
using Vaani.Engines.ESpeak;

namespace Vaani.Engines.Tests.ESpeak;

[Collection(EspeakCollection.Name)]
public sealed class EspeakConcurrencyTests
{
    // About a minute of speech: long enough that synthesis takes a measurable time.
    private static readonly string LongText = string.Join(" ", Enumerable.Repeat(
        "The weather today is pleasant, with a light breeze from the west and a few clouds over the hills.", 12));

    [Fact]
    public async Task SynthesizeAsync_FourThreadsAtOnce_AllSucceedWithTheSerialResult()
    {
        var engine = EspeakTestAudio.Engine();
        TtsRequest[] requests =
        [
            new() { Text = "Four requests arrive at the same moment.", Language = "en-US" },
            new() { Text = "नमस्ते, आप कैसे हैं?", Language = "hi" },
            new() { Text = "வணக்கம், நீங்கள் எப்படி இருக்கிறீர்கள்?", Language = "ta" },
            new() { Text = "নমস্কার, আপনি কেমন আছেন?", Language = "bn" },
        ];
        var serial = new List<(short[] Samples, List<TtsWord> Words)>();
        foreach (var request in requests)
            serial.Add(await EspeakTestAudio.SynthesizeAsync(engine, request));

        using var start = new Barrier(requests.Length);
        var results = new (short[] Samples, List<TtsWord> Words)[requests.Length];
        var threads = requests.Select((request, i) => new Thread(() =>
        {
            start.SignalAndWait();
            results[i] = EspeakTestAudio.SynthesizeAsync(engine, request).GetAwaiter().GetResult();
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        // eSpeak carries a little state (pitch phase, noise) from one utterance to the next, so
        // repeats are not bit-exact; interleaved native calls would garble or crash instead.
        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(serial[i].Words.Select(w => (w.Word, w.TextOffset)), results[i].Words.Select(w => (w.Word, w.TextOffset)));
            var voiced = EspeakTestAudio.Voiced(results[i].Samples).Length;
            var serialVoiced = EspeakTestAudio.Voiced(serial[i].Samples).Length;
            Assert.InRange(voiced, serialVoiced * 0.9, serialVoiced * 1.1);
            var rms = EspeakTestAudio.Rms(results[i].Samples);
            var serialRms = EspeakTestAudio.Rms(serial[i].Samples);
            Assert.InRange(rms, serialRms * 0.85, serialRms * 1.15);
        }
    }

    [Fact]
    public async Task SynthesizeAsync_QueueFull_FailsFastWithEngineBusy()
    {
        // A reader that holds the synthesizer: one event buffered, then synthesis waits for it.
        var holder = EspeakTestAudio.Engine(new EspeakOptions { OutputBufferEvents = 1 });
        await using var held = holder.SynthesizeAsync(new TtsRequest { Text = LongText }, default).GetAsyncEnumerator();
        Assert.True(await held.MoveNextAsync());

        var noQueue = EspeakTestAudio.Engine(new EspeakOptions { MaxQueueLength = 0 });
        var busy = await Assert.ThrowsAsync<EngineException>(() => EspeakTestAudio.SynthesizeAsync(noQueue, new TtsRequest { Text = "hello" }));
        Assert.Equal("engine_busy", busy.Code);
        Assert.False(busy.IsPermanent);

        // With room in the queue the request waits instead, and runs once the holder lets go.
        var oneQueued = EspeakTestAudio.Engine(new EspeakOptions { MaxQueueLength = 1 });
        var queued = EspeakTestAudio.SynthesizeAsync(oneQueued, new TtsRequest { Text = "hello" });
        Assert.False(queued.IsCompleted);
        var alsoBusy = await Assert.ThrowsAsync<EngineException>(() => EspeakTestAudio.SynthesizeAsync(oneQueued, new TtsRequest { Text = "hello" }));
        Assert.Equal("engine_busy", alsoBusy.Code);

        await held.DisposeAsync();
        var (samples, words) = await queued;
        Assert.True(EspeakTestAudio.Rms(EspeakTestAudio.Voiced(samples)) > 500);
        Assert.Equal("hello", Assert.Single(words).Word);
    }

    [Fact]
    public async Task SynthesizeAsync_CancelledMidway_StopsPromptlyAndNextRequestWorks()
    {
        var engine = EspeakTestAudio.Engine();
        var clock = Stopwatch.StartNew();
        var (full, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = LongText });
        var fullTime = clock.Elapsed;

        using var cts = new CancellationTokenSource();
        long received = 0;
        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in engine.SynthesizeAsync(new TtsRequest { Text = LongText }, cts.Token))
            {
                if (e is TtsAudio audio && (received += audio.Audio.Length) > 0)
                    await cts.CancelAsync();
            }
        });
        Assert.Equal(cts.Token, cancelled.CancellationToken);

        // The synthesizer is free again well before the cancelled text could have finished.
        clock.Restart();
        await using (var next = engine.SynthesizeAsync(new TtsRequest { Text = "Next request." }, default).GetAsyncEnumerator())
        {
            Assert.True(await next.MoveNextAsync());
            Assert.IsType<TtsAudio>(next.Current);
        }
        var nextFirstChunk = clock.Elapsed;
        Assert.True(nextFirstChunk < fullTime / 4, $"next request's first chunk after {nextFirstChunk.TotalMilliseconds:F0} ms; the full text takes {fullTime.TotalMilliseconds:F0} ms");
        Assert.True(received < full.Length * 2 / 10, $"received {received} bytes of {full.Length * 2} after cancelling");

        var (after, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = "Still working." });
        Assert.True(EspeakTestAudio.Rms(EspeakTestAudio.Voiced(after)) > 500);
    }

    [Fact]
    public async Task SynthesizeAsync_ReaderStopsEarly_ReleasesTheSynthesizer()
    {
        var engine = EspeakTestAudio.Engine(new EspeakOptions { OutputBufferEvents = 2, MaxQueueLength = 0 });
        await foreach (var e in engine.SynthesizeAsync(new TtsRequest { Text = LongText }, default))
            break;
        // MaxQueueLength 0 admits only when nothing runs: the abandoned request must be gone.
        var (samples, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = "Released." });
        Assert.NotEmpty(samples);
    }

    [Fact]
    public async Task SynthesizeAsync_LongText_FirstChunkArrivesLongBeforeTheEnd()
    {
        var engine = EspeakTestAudio.Engine(new EspeakOptions { OutputBufferEvents = 100_000 });
        await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = "Warm up." });
        // About five minutes of speech, synthesised in a few hundred milliseconds: long enough that a
        // fixed delay before the first chunk (a thread wake-up, a GC) cannot make up a quarter of it.
        var text = string.Join(" ", Enumerable.Repeat(LongText, 5));
        var clock = Stopwatch.StartNew();
        TimeSpan? firstChunk = null;
        var chunks = 0;
        await foreach (var e in engine.SynthesizeAsync(new TtsRequest { Text = text }, default))
        {
            if (e is TtsAudio)
            {
                firstChunk ??= clock.Elapsed;
                chunks++;
            }
        }
        var total = clock.Elapsed;
        Assert.True(chunks > 500, $"only {chunks} chunks for about five minutes of audio");
        Console.WriteLine($"espeak first chunk {firstChunk?.TotalMilliseconds:F1} ms, total {total.TotalMilliseconds:F1} ms, {chunks} chunks");
        Assert.True(firstChunk < total / 4, $"first chunk after {firstChunk?.TotalMilliseconds:F1} ms of {total.TotalMilliseconds:F1} ms");
    }

    [Fact]
    public async Task SynthesizeAsync_AlreadyCancelled_ThrowsWithoutSynthesising()
    {
        var engine = EspeakTestAudio.Engine(new EspeakOptions { MaxQueueLength = 0 });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = "never" }, new CancellationToken(canceled: true)));
        var (samples, _) = await EspeakTestAudio.SynthesizeAsync(engine, new TtsRequest { Text = "after" });
        Assert.NotEmpty(samples);
    }
}
