using System.Buffers;
using Vaani.Audio;
using Vaani.Audio.Conversion;
using Vaani.Engines;
using Vaani.Engines.PocketSphinx;
using Vaani.Speech.Streaming;
using Vaani.Testing;

namespace Vaani.Speech.Tests.Streaming;

/// <summary>The session core in front of the real PocketSphinx engine, fed goforward.raw: format plumbing, buffer reuse, re-placement.</summary>
public sealed class SttStreamSessionTests(PocketSphinxFixture fixture) : IClassFixture<PocketSphinxFixture>
{
    private const string GoForward = PocketSphinxFixture.GoForward;
    private readonly PocketSphinxEngine _engine = fixture.Engine;

    // A μ-law 8 kHz client stream: the session folds it when told to (as the gateway does from the
    // engine's capabilities).

    [Fact]
    public async Task Session_Mulaw8kWithFolding_GoForwardWithWordsAndPartials()
    {
        var (events, _) = await RunAsync(AudioFormat.Mulaw(8000), GoForwardMulaw8k(), 160, foldNarrowband: _engine.Capabilities.FoldNarrowbandInput);

        var finals = events.OfType<SttFinal>().Where(f => f.Text.Length > 0).ToList();
        Assert.Equal("go forward ten meters", string.Join(' ', finals.Select(f => f.Text)));
        Assert.Equal(["go", "forward", "ten", "meters"], finals.SelectMany(f => f.Words).Select(w => w.Word));
        int firstPartial = events.FindIndex(e => e is SttPartial), firstFinal = events.FindIndex(e => e is SttFinal { Text.Length: > 0 });
        Assert.True(firstPartial >= 0 && firstPartial < firstFinal, string.Join(", ", events));
    }

    [Fact]
    public async Task Session_Mulaw8kWithoutFolding_NotRecognised()
    {
        var (events, _) = await RunAsync(AudioFormat.Mulaw(8000), GoForwardMulaw8k(), 160, foldNarrowband: false);
        Assert.NotEqual("go forward ten meters", string.Join(' ', events.OfType<SttFinal>().Select(f => f.Text).Where(t => t.Length > 0)));
    }

    /// <summary>
    /// <see cref="SttStreamSession.SendAudioAsync"/> lets the caller reuse its buffer as soon as the
    /// call returns (the gateway's receive buffer goes back to the pool at once). A caller that
    /// scribbles over its one buffer the moment each call returns, sending faster than the engine
    /// decodes so commands pile up, must still get the exact transcript: a queued command that still
    /// pointed into the caller's buffer would hand the engine noise.
    /// </summary>
    [Theory]
    [InlineData(640)]    // 20 ms frames, as real-time clients send
    [InlineData(3200)]   // 100 ms frames
    public async Task Session_CallerReusesOneBufferWhileCommandsQueue_TranscriptIntact(int frameBytes)
    {
        var pcm = File.ReadAllBytes(GoForward);
        var noise = new Random(7);
        var (events, audioSeconds) = await RunAsync(AudioFormat.Linear16(16000), pcm, frameBytes, foldNarrowband: false,
            afterSend: buffer => noise.NextBytes(buffer));

        Assert.Equal("go forward ten meters", string.Join(' ', events.OfType<SttFinal>().Select(f => f.Text).Where(t => t.Length > 0)));
        Assert.Equal(pcm.Length / 32000.0, audioSeconds, 3);
    }

    /// <summary>
    /// A final's latency counts from the arrival of the audio that ends it as the caller stamped it,
    /// not from when the session took the audio: every frame is stamped with the stream's first
    /// instant while the clock moves 20 ms a frame, so each final is at least a frame late (taken at
    /// once, it would read zero here: the engine decodes inside the call) and none is later than
    /// the whole run.
    /// </summary>
    [Fact]
    public async Task FinalLatency_CountsFromTheArrivalTheCallerStamped()
    {
        var pcm = File.ReadAllBytes(GoForward);
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var options = new SttSessionOptions { InterimResults = true, InterimInterval = TimeSpan.FromMilliseconds(100) };
        await using var session = new SttStreamSession(ct => _engine.StartSessionAsync(options, ct),
            AudioFormat.Linear16(16000), _engine.Capabilities.NativeFormat, time: clock);
        await session.StartAsync(cts.Token);
        var reader = Task.Run(async () => await session.Events.ReadAllAsync(cts.Token).OfType<SttFinal>().CountAsync(cts.Token), cts.Token);
        long first = clock.GetTimestamp();
        for (int pos = 0; pos < pcm.Length; pos += 640)
        {
            clock.Advance(TimeSpan.FromMilliseconds(20));
            await session.SendAudioAsync(pcm.AsMemory(pos, Math.Min(640, pcm.Length - pos)), first, cts.Token);
        }
        clock.Advance(TimeSpan.FromSeconds(1));
        await session.CompleteAsync(cts.Token);
        Assert.True(await reader > 0);

        var stats = session.GetStats();
        var whole = TimeSpan.FromMilliseconds(20 * ((pcm.Length + 639) / 640)) + TimeSpan.FromSeconds(1);
        Assert.NotNull(stats.FinalizationLatencyMax);
        Assert.InRange(stats.FinalizationLatencyMax.Value, TimeSpan.FromMilliseconds(20), whole);
        Assert.InRange(stats.FinalizationLatencyP50!.Value, TimeSpan.FromMilliseconds(20), whole);
    }

    /// <summary>Streams <paramref name="audio"/> through one buffer of <paramref name="frameBytes"/>
    /// as fast as accepted; returns the events and the session's audio seconds.</summary>
    private async Task<(List<SttEvent> Events, double AudioSeconds)> RunAsync(
        AudioFormat format, byte[] audio, int frameBytes, bool foldNarrowband, Action<byte[]>? afterSend = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var options = new SttSessionOptions { InterimResults = true, InterimInterval = TimeSpan.FromMilliseconds(100) };
        await using var session = new SttStreamSession(ct => _engine.StartSessionAsync(options, ct),
            format, _engine.Capabilities.NativeFormat, foldNarrowband: foldNarrowband);
        await session.StartAsync(cts.Token);
        var reader = Task.Run(async () =>
        {
            var list = new List<SttEvent>();
            await foreach (var e in session.Events.ReadAllAsync(cts.Token))
                list.Add(e);
            return list;
        }, cts.Token);
        var buffer = new byte[frameBytes];
        for (int pos = 0; pos < audio.Length; pos += frameBytes)
        {
            int n = Math.Min(frameBytes, audio.Length - pos);
            audio.AsSpan(pos, n).CopyTo(buffer);
            await session.SendAudioAsync(buffer.AsMemory(0, n), cts.Token);
            afterSend?.Invoke(buffer);
        }
        await session.CompleteAsync(cts.Token);
        return (await reader, session.AudioSeconds);
    }

    /// <summary>goforward.raw (16 kHz) as a telephone line delivers it: band-limited to 8 kHz, μ-law.</summary>
    private static byte[] GoForwardMulaw8k()
    {
        var pcm = File.ReadAllBytes(GoForward);
        var converter = new AudioConverter(AudioFormat.Linear16(16000), AudioFormat.Mulaw(8000));
        var output = new ArrayBufferWriter<byte>(pcm.Length / 4 + 1024);
        converter.Convert(pcm, output);
        converter.Flush(output);
        return output.WrittenSpan.ToArray();
    }

    // Re-placement: the first engine session is cut off mid-utterance the way a lost worker cuts it
    // off (a retryable worker_lost); the core must replay exactly the audio since the last final —
    // not one byte more — so the next engine session hears the stream as it was sent.

    [Theory]
    [InlineData(LossSignal.SendFails, false, false)]    // the next send to the lost worker throws
    [InlineData(LossSignal.EventsFail, false, false)]   // the event stream reports the loss first; the next send finds it
    [InlineData(LossSignal.SendFails, true, false)]     // the same, with audio taken on the direct path (TrySendAudio)
    [InlineData(LossSignal.EventsFail, true, false)]
    [InlineData(LossSignal.SendFails, true, true)]      // the same, with events pushed to the core's sink (TrySetEventSink)
    [InlineData(LossSignal.EventsFail, true, true)]
    public async Task WorkerLostMidUtterance_ReplacementHearsEveryByteOnce(LossSignal signal, bool direct, bool sink)
    {
        var pcm = File.ReadAllBytes(GoForward);
        const int frame = 640;
        int lossAtFrame = pcm.Length / frame / 2; // mid-utterance, before any final
        var sessions = new List<RecordingSession>();
        var options = new SttSessionOptions { InterimResults = true };
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var session = new SttStreamSession(async ct =>
            {
                var inner = await _engine.StartSessionAsync(options, ct);
                var recording = new RecordingSession(inner, sessions.Count == 0 ? lossAtFrame : -1, signal, direct, sink);
                sessions.Add(recording);
                return recording;
            },
            AudioFormat.Linear16(16000), _engine.Capabilities.NativeFormat);
        await session.StartAsync(cts.Token);
        var reader = Task.Run(async () =>
        {
            var list = new List<SttEvent>();
            await foreach (var e in session.Events.ReadAllAsync(cts.Token)) list.Add(e);
            return list;
        }, cts.Token);
        for (int pos = 0; pos < pcm.Length; pos += frame)
        {
            await session.SendAudioAsync(pcm.AsMemory(pos, Math.Min(frame, pcm.Length - pos)), cts.Token);
            if (pos / frame == lossAtFrame && signal == LossSignal.EventsFail)
                await sessions[0].LossReported.WaitAsync(cts.Token); // the next send comes after the loss is known
        }
        await session.CompleteAsync(cts.Token);
        var events = await reader;

        Assert.Equal(2, sessions.Count);
        Assert.Equal(1, session.GetStats().Replacements);
        // No final came before the loss, so the replacement must have heard the whole stream once.
        Assert.Equal(pcm.Length, sessions[1].BytesHeard);
        Assert.Equal(pcm, sessions[1].Heard.ToArray());
        // Every frame before the loss went the direct way (after it, which way each frame goes depends
        // on whether the loop has caught the replacement up yet: both ways must give the bytes above).
        if (direct) Assert.True(sessions[0].DirectSends >= lossAtFrame, $"{sessions[0].DirectSends} direct sends before the loss at frame {lossAtFrame}");
        var finals = events.OfType<SttFinal>().Where(f => f.Text.Length > 0).ToList();
        Assert.Equal("go forward ten meters", string.Join(' ', finals.Select(f => f.Text)));
        Assert.Equal(pcm.Length / 32000.0, session.AudioSeconds, 3);
        Assert.All(sessions, s => Assert.Equal(sink, s.Pushed));
    }

    [Fact]
    public async Task EventSink_ClientQueueFull_RefusesTheEventAsOverflow()
    {
        // Nobody reads the session's events and its queue holds one: the engine's next event must be
        // refused (the engine session then fails with event_overflow), not block the engine's thread.
        var pcm = File.ReadAllBytes(GoForward);
        RecordingSession? recording = null;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var session = new SttStreamSession(async ct =>
            {
                // The overflow makes the core re-place the session: the replacement reads events the usual way.
                var inner = await _engine.StartSessionAsync(new SttSessionOptions { InterimResults = true }, ct);
                return recording is null
                    ? recording = new RecordingSession(inner, -1, LossSignal.SendFails, direct: false, sink: true)
                    : new RecordingSession(inner, -1, LossSignal.SendFails, direct: false);
            },
            AudioFormat.Linear16(16000), _engine.Capabilities.NativeFormat, new SttStreamLimits { EventBufferCapacity = 1 });
        await session.StartAsync(cts.Token);
        // At real-time pace, so that partials come while audio is still being sent.
        for (int pos = 0; pos < pcm.Length && !recording!.Refused.IsCompleted; pos += 640)
        {
            await session.SendAudioAsync(pcm.AsMemory(pos, Math.Min(640, pcm.Length - pos)), cts.Token);
            await Task.Delay(20, cts.Token);
        }

        await recording!.Refused.WaitAsync(cts.Token);
        Assert.True(recording.Pushed);
        Assert.True(session.Events.TryRead(out var first)); // the one event the queue held: the engine's first
        Assert.Same(recording.FirstPushed, first);
    }

    public enum LossSignal { SendFails, EventsFail }

    /// <summary>Passes everything to a real engine session and keeps what it heard; when told to, it
    /// is lost at a given frame as a worker is: from then on sends throw and the event stream faults.
    /// With <paramref name="direct"/> it takes audio through <see cref="ISpeechToTextSession.TrySendAudio"/>,
    /// as a remote session with credit does. With <paramref name="sink"/> it pushes its events to the
    /// sink the core offers (<see cref="ISpeechToTextSession.TrySetEventSink"/>) from a task of its
    /// own, as a remote session does from its connection's reader.</summary>
    private sealed class RecordingSession(ISpeechToTextSession inner, int lossAtFrame, LossSignal signal, bool direct, bool sink = false) : ISpeechToTextSession
    {
        private readonly TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _refused = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _frames;

        /// <summary>True once the core took the events through a sink.</summary>
        public bool Pushed { get; private set; }

        /// <summary>Completes when the sink refused an event (its queue was full).</summary>
        public Task Refused => _refused.Task;

        /// <summary>The first event pushed to the sink.</summary>
        public SttEvent? FirstPushed { get; private set; }

        public bool TrySetEventSink(ISttEventSink target)
        {
            if (!sink) return false;
            Pushed = true;
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var e in ReadEventsAsync(CancellationToken.None))
                    {
                        FirstPushed ??= e;
                        if (target.OnEvent(e)) continue;
                        _refused.TrySetResult();
                        target.OnCompleted(new EngineException("event_overflow", "the sink was full", isPermanent: false));
                        return;
                    }
                    target.OnCompleted(null);
                }
                catch (Exception ex)
                {
                    target.OnCompleted(ex);
                }
            });
            return true;
        }

        public MemoryStream Heard { get; } = new();
        public int DirectSends { get; private set; }
        public long BytesHeard => Heard.Length;
        public Task LossReported => _lost.Task;

        private static EngineException Lost() => new("worker_lost", "worker 1 was lost: killed by the test", isPermanent: false);

        public async ValueTask SendAudioAsync(ReadOnlyMemory<byte> audio, CancellationToken cancellationToken)
        {
            if (Take(audio.Span))
                await inner.SendAudioAsync(audio, cancellationToken);
        }

        public bool TrySendAudio(ReadOnlySpan<byte> audio)
        {
            if (!direct) return false;
            DirectSends++;
            if (Take(audio))
                inner.SendAudioAsync(audio.ToArray(), CancellationToken.None).AsTask().GetAwaiter().GetResult();
            return true;
        }

        /// <summary>True when the audio is to reach the engine; throws or swallows it once lost.</summary>
        private bool Take(ReadOnlySpan<byte> audio)
        {
            if (_lost.Task.IsCompleted) throw Lost();
            if (_frames++ == lossAtFrame)
            {
                _lost.TrySetResult();
                if (signal == LossSignal.SendFails) throw Lost();
                return false; // swallowed by the dead worker; the event stream reports the loss
            }
            Heard.Write(audio);
            return true;
        }

        public ValueTask FinalizeAsync(CancellationToken cancellationToken) =>
            _lost.Task.IsCompleted ? ValueTask.FromException(Lost()) : inner.FinalizeAsync(cancellationToken);

        public ValueTask CompleteAsync(CancellationToken cancellationToken) =>
            _lost.Task.IsCompleted ? ValueTask.FromException(Lost()) : inner.CompleteAsync(cancellationToken);

        public async IAsyncEnumerable<SttEvent> ReadEventsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var events = inner.ReadEventsAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            var next = events.MoveNextAsync().AsTask();
            while (true)
            {
                var done = await Task.WhenAny(next, _lost.Task);
                if (done == _lost.Task) throw Lost();
                if (!await next) yield break;
                yield return events.Current;
                next = events.MoveNextAsync().AsTask();
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
