using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace Vaani.Engines.ESpeak;

/// <summary>
/// The process-wide owner of libespeak-ng. The library keeps one global, non-thread-safe synthesizer
/// per process (two threads inside it at once corrupt memory and crash the process), so exactly one
/// dedicated thread makes every native call, and requests queue for it. Parallelism comes from more
/// worker processes, never from more threads.
/// </summary>
internal sealed unsafe class EspeakRuntime
{
    // Hard ceiling on queued requests whatever the engines' options say; admission usually stops far earlier.
    private const int QueueCeiling = 1024;

    private static readonly Lock s_createLock = new();
    private static EspeakRuntime? s_instance;
    private static EngineException? s_startFailure;

    // The job the native callback feeds. Only the synthesis thread reads or writes it.
    private static EspeakSynthesisJob? s_current;

    private readonly BlockingCollection<EspeakSynthesisJob> _queue = new(QueueCeiling);
    private int _admitted;

    private EspeakRuntime(int bufferLengthMs)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => Run(bufferLengthMs, started))
        {
            IsBackground = true,
            Name = "espeak-ng synthesis",
        };
        thread.Start();
        started.Task.GetAwaiter().GetResult();
    }

    /// <summary>Output sample rate reported by the library (22050 Hz for eSpeak NG voices).</summary>
    public int SampleRate { get; private set; }

    /// <summary>Voices found under espeak-ng-data/voices at start.</summary>
    public IReadOnlyList<EspeakInstalledVoice> Voices { get; private set; } = [];

    /// <summary>Requests queued or running.</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>
    /// The runtime, starting the library on first use. <paramref name="bufferLength"/> only matters
    /// to that first call. A start failure is remembered: the library is not retried in this process.
    /// </summary>
    public static EspeakRuntime Get(TimeSpan bufferLength)
    {
        lock (s_createLock)
        {
            if (s_instance is not null)
                return s_instance;
            if (s_startFailure is not null)
                throw s_startFailure;
            try
            {
                s_instance = new EspeakRuntime((int)Math.Clamp(bufferLength.TotalMilliseconds, 10, 1000));
                return s_instance;
            }
            catch (EngineException e)
            {
                s_startFailure = e;
                throw;
            }
        }
    }

    /// <summary>Queues a job unless <paramref name="maxQueueLength"/> requests already wait behind the running one.</summary>
    public bool TryAdmit(EspeakSynthesisJob job, int maxQueueLength)
    {
        while (true)
        {
            var admitted = Volatile.Read(ref _admitted);
            if (admitted > maxQueueLength || admitted >= QueueCeiling)
                return false;
            if (Interlocked.CompareExchange(ref _admitted, admitted + 1, admitted) == admitted)
                break;
        }
        if (_queue.TryAdd(job))
            return true;
        Interlocked.Decrement(ref _admitted);
        return false;
    }

    /// <summary>
    /// Stops a job: withdrawn at once if still queued, else aborted at the synthesizer's next buffer.
    /// Completes when the job no longer holds its slot.
    /// </summary>
    public Task StopAsync(EspeakSynthesisJob job)
    {
        job.Cancel();
        if (!job.TryAbandon())
            return job.Done;
        Interlocked.Decrement(ref _admitted);
        return Task.CompletedTask;
    }

    private void Run(int bufferLengthMs, TaskCompletionSource started)
    {
        try
        {
            var rate = EspeakNative.Initialize(EspeakNative.AudioOutputSynchronous, bufferLengthMs, null, EspeakNative.InitializeDontExit);
            if (rate <= 0)
                throw new EngineException("engine_unavailable",
                    "espeak_Initialize failed: espeak-ng-data was not found (install the espeak-ng-data package)", isPermanent: false);
            EspeakNative.SetSynthCallback(&OnSynth);
            EspeakNative.SetUriCallback(&RefuseUri);
            SampleRate = rate;
            Voices = ReadVoices();
            started.SetResult();
        }
        catch (EngineException e)
        {
            started.SetException(e);
            return;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            started.SetException(new EngineException("engine_unavailable",
                $"{EspeakNative.Library} could not be loaded (install the libespeak-ng1 package): {e.Message}", isPermanent: false, e));
            return;
        }

        foreach (var job in _queue.GetConsumingEnumerable())
        {
            if (!job.TryStart())
            {
                // Abandoned while queued: its caller already gave its slot back.
                job.Dispose();
                continue;
            }
            try
            {
                Synthesize(job);
            }
            catch (Exception e)
            {
                job.Fail(new EngineException("engine_failed", $"espeak-ng synthesis failed: {e.Message}", isPermanent: false, e));
            }
            finally
            {
                s_current = null;
                // The slot is free before the caller hears the job is done, so a caller that
                // awaited Done can be followed by a request that finds the synthesizer free.
                Interlocked.Decrement(ref _admitted);
                job.MarkFinished();
                job.Dispose();
            }
        }
    }

    private static void Synthesize(EspeakSynthesisJob job)
    {
        if (job.IsCancelled)
        {
            job.Complete(EspeakNative.ErrorOk);
            return;
        }
        // Every request sets voice, rate and pitch: the previous request's values are still in force.
        var identifier = Encoding.UTF8.GetBytes(job.Voice.Identifier + "\0");
        int result;
        fixed (byte* name = identifier)
            result = EspeakNative.SetVoiceByName(name);
        if (result != EspeakNative.ErrorOk)
        {
            job.Fail(new EngineException("engine_failed", $"espeak-ng could not load voice '{job.Voice.Identifier}' (error {result})", isPermanent: false));
            return;
        }
        EspeakNative.SetParameter(EspeakNative.ParameterRate, job.RateWpm, 0);
        EspeakNative.SetParameter(EspeakNative.ParameterPitch, job.Pitch, 0);

        var flags = EspeakNative.CharsUtf8 | (job.IsSsml ? EspeakNative.Ssml : 0);
        s_current = job;
        fixed (byte* text = job.Utf8Text)
            result = EspeakNative.Synth(text, (nuint)job.Utf8Text.Length, 0, EspeakNative.PositionCharacter, 0, flags, null, null);
        s_current = null;
        job.Complete(result);
    }

    // Called by the library on the synthesis thread, inside espeak_Synth. Must never throw:
    // an exception crossing back into native code ends the process.
    [UnmanagedCallersOnly]
    private static int OnSynth(short* wav, int count, EspeakEvent* events)
    {
        var job = s_current;
        if (job is null)
            return 1;
        try
        {
            var samples = wav is null || count <= 0 ? ReadOnlySpan<short>.Empty : new ReadOnlySpan<short>(wav, count);
            return job.OnBuffer(samples, events) ? 0 : 1;
        }
        catch (Exception e)
        {
            job.Fail(new EngineException("engine_failed", $"espeak-ng output handling failed: {e.Message}", isPermanent: false, e));
            job.Cancel();
            return 1;
        }
    }

    // SSML <audio>: never let the library open the src path (see EspeakNative.SetUriCallback);
    // returning 1 makes it speak the element's fallback text instead.
    [UnmanagedCallersOnly]
    private static int RefuseUri(int type, byte* uri, byte* xmlBase) => 1;

    private static List<EspeakInstalledVoice> ReadVoices()
    {
        var voices = new List<EspeakInstalledVoice>();
        var list = EspeakNative.ListVoices(null);
        for (var v = list; v != null && *v != null; v++)
        {
            var voice = *v;
            var languages = new List<EspeakVoiceLanguage>();
            // (priority byte, NUL-terminated language) pairs, ended by a zero priority byte.
            for (var p = voice->Languages; p != null && *p != 0;)
            {
                var priority = *p++;
                var bytes = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(p);
                var code = Encoding.UTF8.GetString(bytes);
                p += bytes.Length + 1;
                if (code.Length > 0)
                    languages.Add(new EspeakVoiceLanguage(priority, code));
            }
            voices.Add(new EspeakInstalledVoice(
                Marshal.PtrToStringUTF8((nint)voice->Identifier) ?? "",
                Marshal.PtrToStringUTF8((nint)voice->Name) ?? "",
                voice->Gender,
                languages));
        }
        return voices;
    }
}
