using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;

namespace Vaani.Engines.ESpeak;

/// <summary>
/// One admitted request. The caller reads <see cref="Output"/>; the synthesis thread fills it from
/// the native callback. The output channel is bounded, so a slow reader pauses synthesis rather
/// than growing memory; cancelling (or a reader that leaves) aborts synthesis at the next callback.
/// </summary>
internal sealed unsafe class EspeakSynthesisJob : IDisposable
{
    private readonly Channel<TtsEvent> _output;
    private readonly CancellationTokenSource _cancel;
    private readonly SpeechActivity _activity;
    private readonly WordTimingTracker _words;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state = Queued;

    private const int Queued = 0;
    private const int Running = 1;
    private const int Finished = 2;

    public EspeakSynthesisJob(TtsRequest request, EspeakInstalledVoice voice, int rateWpm, int sampleRate,
        EspeakOptions options, CancellationToken cancellationToken)
    {
        Voice = voice;
        RateWpm = rateWpm;
        Pitch = request.Pitch;
        IsSsml = request.IsSsml;
        // NUL-terminated UTF-8: the validator has already rejected NULs and unpaired surrogates.
        Utf8Text = new byte[Encoding.UTF8.GetByteCount(request.Text) + 1];
        Encoding.UTF8.GetBytes(request.Text, Utf8Text);
        _output = Channel.CreateBounded<TtsEvent>(new BoundedChannelOptions(Math.Max(1, options.OutputBufferEvents))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _activity = new SpeechActivity(sampleRate);
        _words = new WordTimingTracker(request.Text, new TextPositionMap(request.Text, request.IsSsml), _activity, options.TrimWordSilence);
    }

    public EspeakInstalledVoice Voice { get; }
    public int RateWpm { get; }
    public int Pitch { get; }
    public bool IsSsml { get; }
    public byte[] Utf8Text { get; }

    /// <summary>Audio and word events in order; completes at the end, or with an <see cref="EngineException"/>.</summary>
    public ChannelReader<TtsEvent> Output => _output.Reader;

    public bool IsCancelled => _cancel.IsCancellationRequested;

    /// <summary>Completes once the synthesis thread is done with this job (or it was abandoned in the queue).</summary>
    public Task Done => _finished.Task;

    /// <summary>Synthesis thread: claims a queued job. False when its caller abandoned it first.</summary>
    public bool TryStart() => Interlocked.CompareExchange(ref _state, Running, Queued) == Queued;

    /// <summary>Caller: withdraws a job that has not started. False when it is running or done.</summary>
    public bool TryAbandon()
    {
        if (Interlocked.CompareExchange(ref _state, Finished, Queued) != Queued)
            return false;
        _output.Writer.TryComplete();
        _finished.TrySetResult();
        return true;
    }

    /// <summary>Synthesis thread: the job will not touch the library again.</summary>
    public void MarkFinished()
    {
        Volatile.Write(ref _state, Finished);
        _finished.TrySetResult();
    }

    /// <summary>Stops the job: skipped if still queued, aborted at the next callback if running.</summary>
    public void Cancel()
    {
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Synthesis thread: one native buffer. Returns false to abort synthesis.</summary>
    public bool OnBuffer(ReadOnlySpan<short> samples, EspeakEvent* events)
    {
        if (IsCancelled)
            return false;
        if (!samples.IsEmpty)
        {
            _activity.Append(samples);
            if (!Write(new TtsAudio(MemoryMarshal.AsBytes(samples).ToArray())))
                return false;
        }
        for (var e = events; e != null && e->Type != EspeakEventType.ListTerminated; e++)
        {
            if (e->Type == EspeakEventType.Word)
                _words.OnWord(e->TextPosition, e->Length, e->AudioPosition);
            else if (e->Type == EspeakEventType.End)
                _words.OnClauseEnd(e->AudioPosition);
        }
        foreach (var word in _words.TakeReady())
        {
            if (!Write(word))
                return false;
        }
        return !IsCancelled;
    }

    /// <summary>Synthesis thread: the native call returned.</summary>
    public void Complete(int nativeResult)
    {
        if (IsCancelled)
        {
            _output.Writer.TryComplete();
            return;
        }
        if (nativeResult != EspeakNative.ErrorOk)
        {
            Fail(new EngineException("engine_failed", $"espeak_Synth returned error {nativeResult}", isPermanent: false));
            return;
        }
        foreach (var word in _words.Complete())
        {
            if (!Write(word))
                break;
        }
        _output.Writer.TryComplete();
    }

    /// <summary>Synthesis thread: the request cannot be served.</summary>
    public void Fail(Exception error) => _output.Writer.TryComplete(error);

    // Runs on the synthesis thread, which may block: waiting here is the backpressure.
    private bool Write(TtsEvent item)
    {
        while (!_output.Writer.TryWrite(item))
        {
            try
            {
                if (!_output.Writer.WaitToWriteAsync(_cancel.Token).AsTask().GetAwaiter().GetResult())
                    return false;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return true;
    }

    public void Dispose() => _cancel.Dispose();
}
