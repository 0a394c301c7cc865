using System.Buffers;
using System.Text;
using System.Threading.Channels;
using Vaani.Engines;
using Vaani.Gateway.Realtime;
using Vaani.Speech.Synthesis;
using Vaani.Speech.Transcripts;

namespace Vaani.Gateway.Tts;

/// <summary>
/// One run of a <c>context_id</c> on a TTS socket: an ordered stream of text segments synthesised one
/// after another on a single audio timeline. Text sent with <c>continue: true</c> is buffered and
/// released at sentence ends (or on flush), so a client can stream LLM tokens in.
/// <para>
/// A run ends with the speak that has no <c>continue</c>. Text spoken on the same id after that
/// starts a new run (its own <c>seq</c>, timeline and text offsets, from 0) that follows the
/// previous one: it sends nothing until the previous run has sent its last message, so one id
/// never has two streams interleaved. Cancelling a run cancels the runs before it too.
/// </para>
/// </summary>
internal sealed class TtsContext
{
    private static readonly System.Buffers.SearchValues<char> SentenceEnds = System.Buffers.SearchValues.Create(".!?।॥\n。");
    private readonly string _id;
    private readonly ITextToSpeechEngine _engine;
    private readonly ClientSocket _client;
    private readonly TtsRequest _template;
    private readonly SynthesisEncoder _encoder;
    private readonly Channel<(string Text, int Offset)> _segments = Channel.CreateBounded<(string, int)>(64);
    private readonly CancellationTokenSource _cts = new();
    private readonly StringBuilder _pending = new();
    private readonly Lock _gate = new();
    private readonly TtsContext? _previous; // the run before this one on the same id, if it was still going
    private readonly Action<TtsContext>? _finished;
    private readonly Action<int>? _accepted;
    private int _textBase;        // characters of the run's text already segmented
    private long _samples;        // engine samples emitted so far (the run's timeline)
    private int _seq;

    public TtsContext(string id, ITextToSpeechEngine engine, ClientSocket client, TtsOutputFormat output, string? voice, string? language, bool ssml, double rate, int pitch,
        TtsContext? previous = null, Action<TtsContext>? finished = null, Action<int>? accepted = null)
    {
        _id = id;
        _previous = previous;
        _finished = finished;
        _accepted = accepted;
        _engine = engine;
        _client = client;
        _template = new TtsRequest { Text = "", Voice = voice, Language = language, IsSsml = ssml, Rate = rate, Pitch = pitch };
        _encoder = new SynthesisEncoder(engine.Capabilities.NativeFormat, output);
        Completion = Task.Run(RunAsync);
    }

    /// <summary>Completes (never faults) once the run sends nothing more and its <c>finished</c> callback has run.</summary>
    public Task Completion { get; }

    /// <summary>Seconds of audio produced so far.</summary>
    public double AudioSeconds => (double)Interlocked.Read(ref _samples) / _engine.Capabilities.NativeFormat.SampleRate;
    public bool IsClosed { get; private set; }

    public void Add(string text, bool more)
    {
        lock (_gate)
        {
            if (IsClosed) return;
            _pending.Append(text);
            if (!more) { Release(_pending.Length); Close(); return; }
            if (_template.IsSsml) return; // SSML is released whole, on flush or the last message
            var s = _pending.ToString();
            int end = s.AsSpan().LastIndexOfAny(SentenceEnds);
            if (end >= 0) Release(end + 1);
        }
    }

    public void Flush()
    {
        lock (_gate) Release(_pending.Length);
    }

    public void Close()
    {
        lock (_gate)
        {
            if (IsClosed) return;
            Release(_pending.Length);
            IsClosed = true;
            _segments.Writer.TryComplete();
        }
    }

    /// <summary>Stops this run and the runs before it; <see cref="Completion"/> ends once none produces anything more.</summary>
    public void Cancel()
    {
        _previous?.Cancel();
        lock (_gate)
        {
            IsClosed = true;
            _segments.Writer.TryComplete();
        }
        _cts.Cancel();
    }

    private void Release(int length)
    {
        if (length == 0) return;
        var text = _pending.ToString(0, length);
        _pending.Remove(0, length);
        int offset = _textBase;
        _textBase += length;
        if (string.IsNullOrWhiteSpace(text)) return;
        if (_segments.Writer.TryWrite((text, offset)))
            _accepted?.Invoke(length);
        else
            _client.TrySendJson(new { type = "error", context_id = _id, code = "context_backlog_full", message = "too much text is waiting in this context; wait for audio before sending more" });
    }

    private async Task RunAsync()
    {
        var ct = _cts.Token;
        var rate = _engine.Capabilities.NativeFormat.SampleRate;
        var encoded = new ArrayBufferWriter<byte>(8192);
        try
        {
            // Follow the previous run: nothing of this one before all of it. Not cancellable: a
            // cancelled run cancels its predecessor too, and must not report itself finished (the
            // cancel acknowledgement) before the predecessor has stopped. Its failure is its own.
            if (_previous is not null)
                await _previous.Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await foreach (var (text, offset) in _segments.Reader.ReadAllAsync(ct))
            {
                long segmentStart = _samples;
                await foreach (var e in _engine.SynthesizeAsync(_template with { Text = text }, ct))
                {
                    ct.ThrowIfCancellationRequested();
                    if (e is TtsAudio audio)
                    {
                        Interlocked.Add(ref _samples, audio.Audio.Length / 2);
                        encoded.Clear();
                        _encoder.Encode(audio.Audio.Span, encoded);
                        if (encoded.WrittenCount > 0 && !await _client.SendJsonAsync(new { type = "audio", context_id = _id, seq = _seq++, audio = Convert.ToBase64String(encoded.WrittenSpan) }, ct))
                            return;
                    }
                    else if (e is TtsWord w)
                    {
                        var start = w.Start + TimeSpan.FromSeconds((double)segmentStart / rate);
                        var end = w.End + TimeSpan.FromSeconds((double)segmentStart / rate);
                        _client.TrySendJson(new
                        {
                            type = "words",
                            context_id = _id,
                            words = new[] { new { word = w.Word, start = TranscriptFormatter.Seconds(start), end = TranscriptFormatter.Seconds(end), text_offset = w.TextOffset + offset, text_length = w.TextLength } },
                        });
                    }
                }
            }
            encoded.Clear();
            _encoder.Complete(encoded);
            if (encoded.WrittenCount > 0 && !await _client.SendJsonAsync(new { type = "audio", context_id = _id, seq = _seq++, audio = Convert.ToBase64String(encoded.WrittenSpan) }, ct))
                return;
            await _client.SendJsonAsync(new { type = "done", context_id = _id, audio_seconds = Math.Round((double)_samples / rate, 3) }, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Cancelled: the socket acknowledges once this task has ended.
        }
        catch (EngineException ex)
        {
            _client.TrySendJson(new { type = "error", context_id = _id, code = ex.Code, message = ex.Message });
        }
        finally
        {
            // Before Completion: whoever continues from it (the cancel acknowledgement) sees the
            // socket's bookkeeping (slots, usage) already done.
            _finished?.Invoke(this);
        }
    }
}
