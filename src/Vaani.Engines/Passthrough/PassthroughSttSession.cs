using System.Threading.Channels;

namespace Vaani.Engines.Passthrough;

/// <summary>One passthrough recognition stream; see <see cref="PassthroughSttEngine"/>.</summary>
internal sealed class PassthroughSttSession : ISpeechToTextSession
{
    // Bounded: a caller that stops reading events blocks its own SendAudioAsync, never grows memory.
    private readonly Channel<SttEvent> _events = Channel.CreateBounded<SttEvent>(
        new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly SttSessionOptions _options;
    private long _bytes;
    private readonly int _partialEvery;
    private long _nextPartialAt;
    private long _wordsFinalized;
    private TimeSpan _utteranceStart;
    private bool _completed;

    public PassthroughSttSession(SttSessionOptions options, int partialEvery)
    {
        _options = options;
        _partialEvery = partialEvery;
        _nextPartialAt = partialEvery;
    }

    public async ValueTask SendAudioAsync(ReadOnlyMemory<byte> audio, CancellationToken cancellationToken)
    {
        ThrowIfCompleted();
        _bytes += audio.Length;
        while (_bytes >= _nextPartialAt)
        {
            if (_options.InterimResults)
            {
                var end = Time(_nextPartialAt);
                var text = string.Join(' ', WordRange(_wordsFinalized, (_nextPartialAt + PassthroughSttEngine.BytesPerWord - 1) / PassthroughSttEngine.BytesPerWord).Select(i => $"w{i}"));
                await _events.Writer.WriteAsync(new SttPartial(text, _utteranceStart, end), cancellationToken).ConfigureAwait(false);
            }
            _nextPartialAt += _partialEvery;
        }
    }

    public async ValueTask FinalizeAsync(CancellationToken cancellationToken)
    {
        ThrowIfCompleted();
        await EmitFinalAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_completed)
            return;
        _completed = true;
        await EmitFinalAsync(cancellationToken).ConfigureAwait(false);
        _events.Writer.TryComplete();
    }

    public IAsyncEnumerable<SttEvent> ReadEventsAsync(CancellationToken cancellationToken) =>
        _events.Reader.ReadAllAsync(cancellationToken);

    public ValueTask DisposeAsync()
    {
        _events.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    private async ValueTask EmitFinalAsync(CancellationToken cancellationToken)
    {
        var fullWords = _bytes / PassthroughSttEngine.BytesPerWord;
        var words = WordRange(_wordsFinalized, fullWords)
            .Select(i => new WordTiming($"w{i}", TimeSpan.FromSeconds(i), TimeSpan.FromSeconds(i + 1), 1.0))
            .ToList();
        var end = Time(_bytes);
        var final = new SttFinal(string.Join(' ', words.Select(w => w.Word)), words, 1.0, _utteranceStart, end) { FromFinalize = true };
        _wordsFinalized = fullWords;
        _utteranceStart = end;
        await _events.Writer.WriteAsync(final, cancellationToken).ConfigureAwait(false);
    }

    private static IEnumerable<long> WordRange(long from, long toExclusive)
    {
        for (var i = from; i < toExclusive; i++)
            yield return i;
    }

    private static TimeSpan Time(long bytes) => TimeSpan.FromTicks(bytes * TimeSpan.TicksPerSecond / PassthroughSttEngine.Format.BytesPerSecond);

    private void ThrowIfCompleted()
    {
        if (_completed)
            throw new EngineException("session_completed", "the session was completed: no more audio or finalize is accepted", isPermanent: true);
    }
}
