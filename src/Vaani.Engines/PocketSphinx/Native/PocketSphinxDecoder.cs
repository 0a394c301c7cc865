using System.Runtime.InteropServices;

namespace Vaani.Engines.PocketSphinx.Native;

/// <summary>One raw segment of a decoded utterance, in 10 ms frames since the start of the stream.</summary>
internal readonly record struct DecodedSegment(string Word, int StartFrame, int EndFrame, double Confidence);

/// <summary>
/// Typed wrapper over one native decoder. Not thread-safe by design: its owner (a session, then the
/// pool while resetting) calls it from one logical thread at a time; a guard turns accidental overlap
/// into an exception instead of native memory corruption.
/// </summary>
internal sealed unsafe class PocketSphinxDecoder : IDisposable
{
    private static readonly Lock LoggingLock = new();
    private static bool s_loggingDisabled;

    private readonly DecoderHandle _handle;
    /// <summary>Live CMN as built; null: its structures could not be read, and <see cref="Reset"/> rebuilds instead.</summary>
    private readonly CmnSnapshot? _initialCmn;
    private int _busy;
    private bool _inUtterance;

    private PocketSphinxDecoder(DecoderHandle handle)
    {
        _handle = handle;
        using var scope = new Scope(this);
        _initialCmn = CmnSnapshot.TryCapture(scope.Pointer);
    }

    /// <summary>Whether <see cref="Reset"/> restores state in place (true) or rebuilds the decoder with <c>ps_reinit</c>.</summary>
    internal bool ResetsInPlace => _initialCmn is not null;

    /// <summary>Parses <paramref name="arguments"/> (argv style, e.g. <c>-hmm path</c>) and builds a decoder (~0.5 s).</summary>
    public static PocketSphinxDecoder Create(IReadOnlyList<string> arguments)
    {
        DisableNativeLogging();
        var native = NativeArguments.Allocate(arguments);
        var handle = new DecoderHandle();
        try
        {
            IntPtr config;
            fixed (IntPtr* argv = native)
                config = PocketSphinxNative.cmd_ln_parse_r(IntPtr.Zero, PocketSphinxNative.ps_args(), native.Length, argv, strict: 1);
            if (config == IntPtr.Zero)
                throw new EngineException("invalid_configuration",
                    $"pocketsphinx rejected the decoder arguments ({string.Join(' ', arguments)}): an argument name is unknown or a value is malformed", isPermanent: true);
            using var configHandle = new ConfigHandle(config);
            // ps_init takes its own reference to the configuration; ours is released by the using.
            var decoder = PocketSphinxNative.ps_init(config);
            if (decoder == IntPtr.Zero)
                throw new EngineException("engine_failed",
                    "pocketsphinx could not build a decoder: check that the -hmm, -lm and -dict files exist and match", isPermanent: true);
            handle.Attach(decoder, native);
            native = [];
            return new PocketSphinxDecoder(handle);
        }
        catch
        {
            handle.Dispose();
            NativeArguments.Free(native);
            throw;
        }
    }

    // sphinxbase logs to stderr through one process-wide stream; -logfn would reopen that global
    // stream from every ps_init, racing between decoders built concurrently. One NULL stream instead.
    private static void DisableNativeLogging()
    {
        lock (LoggingLock)
        {
            if (s_loggingDisabled)
                return;
            PocketSphinxNative.err_set_logfp(IntPtr.Zero);
            s_loggingDisabled = true;
        }
    }

    public void StartStream() => Check(Enter(PocketSphinxNative.ps_start_stream), "ps_start_stream");

    public void StartUtterance()
    {
        Check(Enter(PocketSphinxNative.ps_start_utt), "ps_start_utt");
        _inUtterance = true;
    }

    public void EndUtterance()
    {
        _inUtterance = false;
        Check(Enter(PocketSphinxNative.ps_end_utt), "ps_end_utt");
    }

    /// <summary>Feeds samples (16 kHz mono) and runs the first-pass search on them.</summary>
    public void ProcessRaw(ReadOnlySpan<short> samples)
    {
        using var scope = new Scope(this);
        int rv;
        fixed (short* p = samples)
            rv = PocketSphinxNative.ps_process_raw(scope.Pointer, p, (nuint)samples.Length, noSearch: 0, fullUtterance: 0);
        Check(rv, "ps_process_raw");
    }

    /// <summary>The voice-activity state of the front end (true between VAD speech start and end).</summary>
    public bool InSpeech
    {
        get
        {
            using var scope = new Scope(this);
            return PocketSphinxNative.ps_get_in_speech(scope.Pointer) != 0;
        }
    }

    /// <summary>The current best hypothesis (partial during an utterance, final after it ends).</summary>
    public string Hypothesis()
    {
        using var scope = new Scope(this);
        var p = PocketSphinxNative.ps_get_hyp(scope.Pointer, out _);
        return p == IntPtr.Zero ? string.Empty : Marshal.PtrToStringUTF8(p) ?? string.Empty;
    }

    /// <summary>The word segmentation of the last ended utterance, fillers included.</summary>
    public List<DecodedSegment> Segments(int maxSegments)
    {
        using var scope = new Scope(this);
        var result = new List<DecodedSegment>();
        var logmath = PocketSphinxNative.ps_get_logmath(scope.Pointer);
        var seg = PocketSphinxNative.ps_seg_iter(scope.Pointer);
        try
        {
            while (seg != IntPtr.Zero && result.Count < maxSegments)
            {
                var word = Marshal.PtrToStringUTF8(PocketSphinxNative.ps_seg_word(seg)) ?? string.Empty;
                PocketSphinxNative.ps_seg_frames(seg, out var sf, out var ef);
                var prob = PocketSphinxNative.ps_seg_prob(seg, out _, out _, out _);
                var confidence = Math.Clamp(PocketSphinxNative.logmath_exp(logmath, prob), 0.0, 1.0);
                result.Add(new DecodedSegment(word, sf, ef, double.IsNaN(confidence) ? 0.0 : confidence));
                seg = PocketSphinxNative.ps_seg_next(seg);
            }
        }
        finally
        {
            // ps_seg_next frees the iterator when it runs off the end; only an early stop leaves one.
            if (seg != IntPtr.Zero)
                PocketSphinxNative.ps_seg_free(seg);
        }
        return result;
    }

    /// <summary>
    /// Returns the decoder to the state it was built in, so nothing learnt from one session's audio
    /// reaches the next: ends an utterance left open, writes back the live cepstral-mean
    /// normalisation copied at creation and starts a new stream (front-end noise statistics, VAD
    /// state, frame counter). Well under a millisecond, against ~0.4 s for the full rebuild
    /// (<c>ps_reinit</c>: acoustic model, front end, features, searches), which it falls back to when
    /// the CMN structure could not be read (<see cref="ResetsInPlace"/>). Tested to decode exactly as a
    /// new decoder does.
    /// </summary>
    public void Reset()
    {
        if (_initialCmn is null)
        {
            Rebuild();
            return;
        }
        using var scope = new Scope(this);
        if (_inUtterance)
        {
            _inUtterance = false;
            Check(PocketSphinxNative.ps_end_utt(scope.Pointer), "ps_end_utt");
        }
        if (!_initialCmn.TryRestore(scope.Pointer))
            throw new EngineException("engine_failed", "pocketsphinx: the decoder's CMN structure no longer matches the copy taken when it was built", isPermanent: false);
        Check(PocketSphinxNative.ps_start_stream(scope.Pointer), "ps_start_stream");
    }

    /// <summary>Rebuilds every model and search of the decoder from its configuration (<c>ps_reinit</c>, ~0.4 s).</summary>
    public void Rebuild()
    {
        using var scope = new Scope(this);
        _inUtterance = false;
        Check(PocketSphinxNative.ps_reinit(scope.Pointer, IntPtr.Zero), "ps_reinit");
    }

    public void Dispose() => _handle.Dispose();

    private int Enter(Func<IntPtr, int> call)
    {
        using var scope = new Scope(this);
        return call(scope.Pointer);
    }

    private static void Check(int rv, string function)
    {
        if (rv < 0)
            throw new EngineException("engine_failed", $"pocketsphinx {function} failed with code {rv}", isPermanent: false);
    }

    /// <summary>
    /// One native call: holds a reference on the handle (so a concurrent Dispose defers ps_free until
    /// the call returns) and the single-caller guard.
    /// </summary>
    private readonly ref struct Scope
    {
        private readonly PocketSphinxDecoder _owner;

        public Scope(PocketSphinxDecoder owner)
        {
            if (Interlocked.Exchange(ref owner._busy, 1) != 0)
                throw new InvalidOperationException("a pocketsphinx decoder was called from two threads at once");
            var added = false;
            try
            {
                owner._handle.DangerousAddRef(ref added);
            }
            catch
            {
                Volatile.Write(ref owner._busy, 0);
                throw;
            }
            _owner = owner;
            Pointer = owner._handle.DangerousGetHandle();
        }

        public IntPtr Pointer { get; }

        public void Dispose()
        {
            _owner._handle.DangerousRelease();
            Volatile.Write(ref _owner._busy, 0);
        }
    }
}
