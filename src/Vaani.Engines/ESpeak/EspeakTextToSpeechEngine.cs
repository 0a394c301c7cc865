using System.Runtime.CompilerServices;
using Vaani.Audio;

namespace Vaani.Engines.ESpeak;

/// <summary>
/// <see cref="ITextToSpeechEngine"/> over eSpeak NG. Thread-safe: concurrent requests queue for the
/// process's single synthesizer (see <see cref="EspeakRuntime"/>) and fail fast with
/// <c>engine_busy</c> when the queue is full.
/// </summary>
internal sealed class EspeakTextToSpeechEngine : ITextToSpeechEngine
{
    private readonly EspeakOptions _options;
    private readonly EspeakRuntime _runtime;
    private readonly EspeakVoiceCatalog _catalog;

    public EspeakTextToSpeechEngine(EspeakOptions options)
    {
        _options = options;
        _runtime = EspeakRuntime.Get(options.BufferLength);
        _catalog = new EspeakVoiceCatalog(_runtime.Voices);
        Capabilities = new EngineCapabilities
        {
            Name = EspeakEngine.Name,
            Languages = _catalog.Languages,
            Voices = _catalog.Voices,
            NativeFormat = AudioFormat.Linear16(_runtime.SampleRate),
            Streaming = true,
            WordTimings = true,
            MaxConcurrency = 1,
        };
    }

    public EngineCapabilities Capabilities { get; }

    public async IAsyncEnumerable<TtsEvent> SynthesizeAsync(TtsRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        TtsRequestValidator.Validate(request, _options);
        var voice = _catalog.Resolve(request.Voice, request.Language, _options.DefaultLanguage);
        cancellationToken.ThrowIfCancellationRequested();

        var rate = (int)Math.Clamp(Math.Round(EspeakNative.RateNormal * request.Rate), EspeakNative.RateMinimum, EspeakNative.RateMaximum);
        var job = new EspeakSynthesisJob(request, voice, rate, _runtime.SampleRate, _options, cancellationToken);
        if (!_runtime.TryAdmit(job, _options.MaxQueueLength))
        {
            job.Dispose();
            throw new EngineException("engine_busy",
                $"espeak-ng is busy: {_options.MaxQueueLength} requests already wait for this process's synthesizer; retry later or on another worker",
                isPermanent: false);
        }
        try
        {
            await foreach (var item in job.Output.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return item;
        }
        finally
        {
            // A reader that stops early or is cancelled releases the synthesizer at its next buffer;
            // waiting for that (a few milliseconds) means the slot is free once this call returns.
            await _runtime.StopAsync(job).ConfigureAwait(false);
        }
    }
}
