using Vaani.Audio;

namespace Vaani.Engines.Passthrough;

/// <summary>
/// A benchmark and protocol-test engine that recognises nothing real. It exists so the worker
/// protocol, replay and exactly-once logic can be tested and benchmarked without a native engine.
/// It is deterministic: every full second of audio received (linear16, 16 kHz, mono) becomes one
/// word <c>w0</c>, <c>w1</c>, ... spanning exactly that second, so lost or duplicated audio shows up
/// as missing or extra words. Finals come only from finalize/complete (no endpointing); each holds
/// the words whose second completed since the previous final. Partials are emitted every
/// <see cref="PartialEveryBytes"/> bytes (default <see cref="PartialIntervalBytes"/>) when interim
/// results are on.
/// </summary>
public sealed class PassthroughSttEngine : ISpeechToTextEngine
{
    /// <summary>The only format the engine accepts.</summary>
    public static readonly AudioFormat Format = AudioFormat.Linear16(16000);

    /// <summary>Bytes per word: one second of <see cref="Format"/>.</summary>
    public const int BytesPerWord = 32000;

    /// <summary>By default a partial is emitted after every this many bytes (half a second).</summary>
    public const int PartialIntervalBytes = 16000;

    /// <summary>
    /// Environment variable that sets <see cref="PartialEveryBytes"/> for engines built with the
    /// parameterless constructor (as the worker's catalog does), so a benchmark can match every
    /// n-th audio frame to one partial.
    /// </summary>
    public const string PartialEveryVariable = "VAANI_PASSTHROUGH_PARTIAL_EVERY_BYTES";

    /// <summary>An engine emitting partials every <see cref="PartialIntervalBytes"/>, or as <see cref="PartialEveryVariable"/> says.</summary>
    public PassthroughSttEngine()
        : this(int.TryParse(Environment.GetEnvironmentVariable(PartialEveryVariable), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var every) && every > 0 ? every : PartialIntervalBytes)
    {
    }

    /// <summary>An engine emitting a partial after every <paramref name="partialEveryBytes"/> bytes of audio.</summary>
    public PassthroughSttEngine(int partialEveryBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partialEveryBytes);
        PartialEveryBytes = partialEveryBytes;
    }

    /// <summary>Bytes of audio between two partials.</summary>
    public int PartialEveryBytes { get; }

    public EngineCapabilities Capabilities { get; } = new()
    {
        Name = "passthrough",
        Languages = ["en-US", "und"],
        NativeFormat = Format,
        Streaming = true,
        WordTimings = true,
        MaxConcurrency = 64,
    };

    public ValueTask<ISpeechToTextSession> StartSessionAsync(SttSessionOptions options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<ISpeechToTextSession>(new PassthroughSttSession(options, PartialEveryBytes));
    }
}
