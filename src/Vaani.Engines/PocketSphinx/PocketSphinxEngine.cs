using Vaani.Audio;

namespace Vaani.Engines.PocketSphinx;

/// <summary>
/// Streaming English speech-to-text with CMU PocketSphinx (5prealpha, Debian packages) through
/// P/Invoke. Decoders are pooled: <see cref="PocketSphinxOptions.PoolSize"/> sessions run at once and
/// each returned decoder is reset before reuse. Thread-safe.
/// </summary>
public sealed class PocketSphinxEngine : ISpeechToTextEngine, IAsyncDisposable
{
    private readonly PocketSphinxOptions _options;
    private readonly DecoderPool _pool;

    private PocketSphinxEngine(PocketSphinxOptions options, DecoderPool pool)
    {
        _options = options;
        _pool = pool;
        Capabilities = new EngineCapabilities
        {
            Name = "pocketsphinx",
            Languages = options.Languages,
            NativeFormat = AudioFormat.Linear16(StreamRecognizer.SampleRate),
            Streaming = true,
            WordTimings = true,
            // The en-US model is wideband (filterbank up to 6.8 kHz): on 8 kHz μ-law LibriVox clips
            // folding gives 39 % WER, band-limited resampling 86 % (docs/engines-pocketsphinx.md).
            FoldNarrowbandInput = true,
            MaxConcurrency = options.PoolSize,
        };
    }

    /// <summary>
    /// Validates <paramref name="options"/> (every error reported at once) and builds the decoder pool.
    /// Takes about half a second per decoder.
    /// </summary>
    public static Task<PocketSphinxEngine> CreateAsync(PocketSphinxOptions options, CancellationToken cancellationToken) =>
        CreateAsync(options, TimeProvider.System, cancellationToken);

    /// <summary>As <see cref="CreateAsync(PocketSphinxOptions, CancellationToken)"/>, with the clock used for decoder waits.</summary>
    public static async Task<PocketSphinxEngine> CreateAsync(PocketSphinxOptions options, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<Exception>();
        options.Validate(errors);
        if (errors.Count == 1)
            throw errors[0];
        if (errors.Count > 1)
            throw new AggregateException("invalid pocketsphinx options", errors);
        var pool = await DecoderPool.CreateAsync(options, timeProvider, cancellationToken).ConfigureAwait(false);
        return new PocketSphinxEngine(options, pool);
    }

    public EngineCapabilities Capabilities { get; }

    /// <summary>Decoders free right now (reset and ready).</summary>
    public int AvailableDecoders => _pool.Available;

    public async ValueTask<ISpeechToTextSession> StartSessionAsync(SttSessionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateSession(options);
        var decoder = await _pool.RentAsync(cancellationToken).ConfigureAwait(false);
        return new PocketSphinxSession(decoder, options, _options, _pool.Return);
    }

    private void ValidateSession(SttSessionOptions options)
    {
        if (!_options.Languages.Any(l => string.Equals(l, options.Language, StringComparison.OrdinalIgnoreCase)))
            throw new EngineException("unsupported_language",
                $"language '{options.Language}' is not served by pocketsphinx: use one of {string.Join(", ", _options.Languages)}", isPermanent: true);
        if (options.Endpointing is { } e && (e < TimeSpan.Zero || e > TimeSpan.FromMinutes(1)))
            throw new EngineException("invalid_request", $"endpointing {e.TotalMilliseconds:0} ms is out of range: it must be between 0 and 60000 ms", isPermanent: true);
        if (options.InterimInterval < TimeSpan.Zero || options.InterimInterval > TimeSpan.FromMinutes(1))
            throw new EngineException("invalid_request", $"interim interval {options.InterimInterval.TotalMilliseconds:0} ms is out of range: it must be between 0 and 60000 ms", isPermanent: true);
    }

    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}
