using Vaani.Audio;
using Vaani.Engines;
using Vaani.Engines.PocketSphinx;
using Vaani.Speech.Streaming;

namespace Vaani.Speech.Tests.Streaming;

/// <summary>
/// Re-placement inside the session core, in front of the real PocketSphinx engine. The first engine
/// session is cut off mid-utterance the way a lost worker cuts it off (a retryable
/// <c>worker_lost</c>); the core must replay exactly the audio since the last final — not one byte
/// more — so the next engine session hears the stream as it was sent.
/// </summary>
public sealed class SttStreamRecoveryTests(PocketSphinxFixture fixture) : IClassFixture<PocketSphinxFixture>
{
    private const string GoForward = PocketSphinxFixture.GoForward;
    private readonly PocketSphinxEngine _engine = fixture.Engine;

    [Theory]
    [InlineData(LossSignal.SendFails, false)]    // the next send to the lost worker throws
    [InlineData(LossSignal.EventsFail, false)]   // the event stream reports the loss first; the next send finds it
    [InlineData(LossSignal.SendFails, true)]     // the same, with audio taken on the direct path (TrySendAudio)
    [InlineData(LossSignal.EventsFail, true)]
    public async Task WorkerLostMidUtterance_ReplacementHearsEveryByteOnce(LossSignal signal, bool direct)
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
                var recording = new RecordingSession(inner, sessions.Count == 0 ? lossAtFrame : -1, signal, direct);
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
    }

    public enum LossSignal { SendFails, EventsFail }

    /// <summary>Passes everything to a real engine session and keeps what it heard; when told to, it
    /// is lost at a given frame as a worker is: from then on sends throw and the event stream faults.
    /// With <paramref name="direct"/> it takes audio through <see cref="ISpeechToTextSession.TrySendAudio"/>,
    /// as a remote session with credit does.</summary>
    private sealed class RecordingSession(ISpeechToTextSession inner, int lossAtFrame, LossSignal signal, bool direct) : ISpeechToTextSession
    {
        private readonly TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _frames;

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
