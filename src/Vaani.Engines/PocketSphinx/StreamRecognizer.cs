using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Vaani.Engines.PocketSphinx.Native;

namespace Vaani.Engines.PocketSphinx;

/// <summary>
/// The synchronous heart of a session: turns a stream of linear16/16 kHz bytes into recognition
/// events with one decoder. Not thread-safe; the session calls it from its single pump.
/// </summary>
/// <remarks>
/// Audio is re-blocked into fixed 20 ms blocks so that results do not depend on how the caller
/// chunks its audio. After every block the front-end VAD (<c>ps_get_in_speech</c>) is polled:
/// every speech-to-silence transition closes the native utterance, because the 5prealpha front
/// end drops silence frames and re-bases frame numbers at each speech start; one native utterance
/// per speech run keeps word times exact. A client utterance (one <see cref="SttFinal"/>) gathers
/// the words of consecutive native utterances until the session's endpointing silence has passed.
/// </remarks>
internal sealed class StreamRecognizer
{
    internal const int SampleRate = 16000;
    private const int SamplesPerFrame = SampleRate / 100;
    private const int BlockSamples = 320;
    // Front-end frame geometry (25.625 ms window, 10 ms shift) at 16 kHz: samples in the first frame.
    private const int FrameWindowSamples = 410;
    private const int MaxSegmentsPerUtterance = 100_000;

    private readonly PocketSphinxDecoder _decoder;
    private readonly SttSessionOptions _session;
    private readonly PocketSphinxOptions _options;
    private readonly short[] _block = new short[BlockSamples];
    private readonly List<WordTiming> _pendingWords = [];

    private int _blockFill;
    private bool _hasOddByte;
    private byte _oddByte;

    private long _consumed;                 // samples handed to the decoder since the session started
    private long _nativeUtteranceStart;     // _consumed when the current native utterance began
    private long _nativeFrameBase;          // what the decoder believes is its utterance start frame
    private long _frameShift;               // correction from decoder frames to session frames
    private bool _nativeInSpeech;
    private bool _nativeOpen;               // between ps_start_utt and ps_end_utt

    private bool _utteranceActive;          // speech seen since the last final
    private long _utteranceSpeechStart;
    private long _speechEnd = -1;           // end of the last speech run, -1 while in speech
    private long _lastFinalEnd;
    private TimeSpan _lastWordEnd;
    private long _lastPartialAt = long.MinValue;
    private string _lastPartialText = string.Empty;

    public StreamRecognizer(PocketSphinxDecoder decoder, SttSessionOptions session, PocketSphinxOptions options)
    {
        _decoder = decoder;
        _session = session;
        _options = options;
    }

    /// <summary>Samples handed to the decoder so far (excludes the partial block still buffered).</summary>
    public long ConsumedSamples => _consumed;

    /// <summary>Starts the native stream; frame numbers count from here.</summary>
    public void Start()
    {
        _decoder.StartStream();
        _decoder.StartUtterance();
        _nativeOpen = true;
    }

    /// <summary>Feeds little-endian 16-bit samples of any length (odd byte counts carry over).</summary>
    public void Feed(ReadOnlySpan<byte> audio, List<SttEvent> events)
    {
        if (_hasOddByte && !audio.IsEmpty)
        {
            Append((short)(_oddByte | (audio[0] << 8)), events);
            _hasOddByte = false;
            audio = audio[1..];
        }
        while (audio.Length >= 2)
        {
            var n = Math.Min(BlockSamples - _blockFill, audio.Length / 2);
            var source = MemoryMarshal.Cast<byte, short>(audio[..(n * 2)]);
            var target = _block.AsSpan(_blockFill, n);
            source.CopyTo(target);
            if (!BitConverter.IsLittleEndian)
                BinaryPrimitives.ReverseEndianness(target, target);
            _blockFill += n;
            audio = audio[(n * 2)..];
            if (_blockFill == BlockSamples)
                FlushBlock(events);
        }
        if (audio.Length == 1)
        {
            _oddByte = audio[0];
            _hasOddByte = true;
        }
    }

    /// <summary>Closes the utterance in progress and emits a final for all audio so far.</summary>
    public void FinalizeUtterance(List<SttEvent> events)
    {
        FlushBlock(events);
        CloseNativeUtterance(forceRestart: true);
        EmitFinal(fromFinalize: true, events);
    }

    /// <summary>End of input: finalises whatever audio has not been covered by a final yet.</summary>
    public void Complete(List<SttEvent> events)
    {
        _hasOddByte = false; // half a sample cannot be decoded
        FlushBlock(events);
        CloseNativeUtterance(forceRestart: false);
        if (_nativeOpen)
        {
            // Silence only since the last speech run: nothing to collect, but leave the decoder idle.
            _decoder.EndUtterance();
            _nativeOpen = false;
        }
        if (_utteranceActive || _pendingWords.Count > 0 || _consumed > _lastFinalEnd)
            EmitFinal(fromFinalize: true, events);
    }

    private void Append(short sample, List<SttEvent> events)
    {
        _block[_blockFill++] = sample;
        if (_blockFill == BlockSamples)
            FlushBlock(events);
    }

    private void FlushBlock(List<SttEvent> events)
    {
        if (_blockFill == 0)
            return;
        _decoder.ProcessRaw(_block.AsSpan(0, _blockFill));
        _consumed += _blockFill;
        _blockFill = 0;

        var inSpeech = _decoder.InSpeech;
        if (inSpeech && !_nativeInSpeech)
            OnSpeechStart(events);
        else if (!inSpeech && _nativeInSpeech)
            OnSpeechEnd();
        _nativeInSpeech = inSpeech;

        if (inSpeech)
            MaybePartial(events);
        else
            MaybeEndpoint(events);

        if (_utteranceActive && _consumed - _utteranceSpeechStart >= ToSamples(_options.MaxUtterance))
        {
            CloseNativeUtterance(forceRestart: true);
            EmitFinal(fromFinalize: false, events);
        }
    }

    private void OnSpeechStart(List<SttEvent> events)
    {
        // The front end emits up to VadPreSpeechFrames frames from before the VAD decision, and
        // numbers the utterance's frames from (stream frame at decision - VadPreSpeechFrames). When
        // the native utterance is younger than that, fewer frames exist: correct by the difference.
        var sinceStart = _consumed - _nativeUtteranceStart;
        var framesSinceStart = sinceStart < FrameWindowSamples ? 0 : ((sinceStart - FrameWindowSamples) / SamplesPerFrame) + 1;
        var buffered = Math.Min(PocketSphinxOptions.VadPreSpeechFrames, framesSinceStart);
        var trueStartFrame = (_nativeUtteranceStart + (framesSinceStart - buffered) * SamplesPerFrame) / SamplesPerFrame;
        var nativeBase = (_consumed / SamplesPerFrame) - PocketSphinxOptions.VadPreSpeechFrames;
        if (nativeBase > 0)
            _nativeFrameBase = nativeBase; // otherwise the decoder keeps its previous base
        _frameShift = trueStartFrame - _nativeFrameBase;
        _speechEnd = -1;

        if (_utteranceActive)
            return;
        _utteranceActive = true;
        _utteranceSpeechStart = Math.Max(_lastFinalEnd, _consumed - (PocketSphinxOptions.VadStartSpeechFrames * SamplesPerFrame));
        _lastPartialAt = long.MinValue;
        _lastPartialText = string.Empty;
        events.Add(new SttSpeechStarted(ToTime(_utteranceSpeechStart)));
    }

    private void OnSpeechEnd()
    {
        _decoder.EndUtterance();
        CollectWords();
        _decoder.StartUtterance();
        _nativeUtteranceStart = _consumed;
        _speechEnd = Math.Max(_utteranceSpeechStart, _consumed - ((long)_options.VadPostSpeechFrames * SamplesPerFrame));
    }

    private void CloseNativeUtterance(bool forceRestart)
    {
        if (!_nativeInSpeech)
            return;
        _decoder.EndUtterance();
        CollectWords();
        _nativeOpen = false;
        if (forceRestart)
        {
            _decoder.StartUtterance();
            _nativeOpen = true;
            _nativeUtteranceStart = _consumed;
        }
        _nativeInSpeech = false;
        _speechEnd = _consumed;
    }

    private void MaybePartial(List<SttEvent> events)
    {
        if (!_session.InterimResults || !_utteranceActive)
            return;
        if (_lastPartialAt != long.MinValue && _consumed - _lastPartialAt < ToSamples(_session.InterimInterval))
            return;
        _lastPartialAt = _consumed;
        var current = WordNormalizer.NormalizeText(_decoder.Hypothesis());
        var text = JoinText(current);
        if (text.Length == 0 || text == _lastPartialText)
            return;
        _lastPartialText = text;
        events.Add(new SttPartial(text, ToTime(_utteranceSpeechStart), ToTime(_consumed)));
    }

    private void MaybeEndpoint(List<SttEvent> events)
    {
        if (!_utteranceActive || _speechEnd < 0 || _session.Endpointing is not { } silence)
            return;
        if (_consumed - _speechEnd < ToSamples(silence))
            return;
        var speechEnd = ToTime(_speechEnd);
        var final = EmitFinal(fromFinalize: false, events);
        var lastWordEnd = final.Words.Count > 0 ? final.Words[^1].End : speechEnd;
        events.Add(new SttUtteranceEnd(lastWordEnd));
    }

    private SttFinal EmitFinal(bool fromFinalize, List<SttEvent> events)
    {
        var words = _pendingWords.ToArray();
        _pendingWords.Clear();
        var confidence = words.Length == 0 ? 0.0 : words.Average(w => w.Confidence);
        var final = new SttFinal(
            string.Join(' ', words.Select(w => w.Word)), words, confidence, ToTime(_lastFinalEnd), ToTime(_consumed))
        {
            FromFinalize = fromFinalize,
        };
        events.Add(final);
        _lastFinalEnd = _consumed;
        _utteranceActive = false;
        _speechEnd = -1;
        _lastPartialText = string.Empty;
        return final;
    }

    private void CollectWords()
    {
        var limit = ToTime(_consumed);
        foreach (var seg in _decoder.Segments(MaxSegmentsPerUtterance))
        {
            if (WordNormalizer.Normalize(seg.Word) is not { } word)
                continue;
            var start = FrameTime(seg.StartFrame + _frameShift);
            var end = FrameTime(seg.EndFrame + 1 + _frameShift);
            // Keep times inside the audio and monotonic across utterances, whatever the decoder's
            // frame bookkeeping did at the edges.
            start = Clamp(start, _lastWordEnd, limit);
            end = Clamp(end, start, limit);
            _pendingWords.Add(new WordTiming(word, start, end, seg.Confidence));
            _lastWordEnd = end;
        }
    }

    private string JoinText(string current)
    {
        if (_pendingWords.Count == 0)
            return current;
        var pending = string.Join(' ', _pendingWords.Select(w => w.Word));
        return current.Length == 0 ? pending : pending + " " + current;
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) =>
        value < min ? min : value > max ? (min > max ? min : max) : value;

    private static TimeSpan FrameTime(long frame) => TimeSpan.FromTicks(Math.Max(0, frame) * TimeSpan.TicksPerMillisecond * 10);

    internal static TimeSpan ToTime(long samples) => TimeSpan.FromTicks(samples * (TimeSpan.TicksPerSecond / SampleRate));

    private static long ToSamples(TimeSpan time) => time.Ticks / (TimeSpan.TicksPerSecond / SampleRate);
}
