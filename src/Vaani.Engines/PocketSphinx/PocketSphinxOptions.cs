namespace Vaani.Engines.PocketSphinx;

/// <summary>
/// Configuration of the PocketSphinx engine. Defaults match the Debian <c>pocketsphinx-en-us</c>
/// package and the measured trade-offs in <c>docs/engines-pocketsphinx.md</c>.
/// </summary>
public sealed record PocketSphinxOptions
{
    /// <summary>Directory of the Debian en-US model.</summary>
    public const string DefaultModelDirectory = "/usr/share/pocketsphinx/model/en-us";

    /// <summary>Acoustic model directory (<c>-hmm</c>).</summary>
    public string AcousticModel { get; init; } = Path.Combine(DefaultModelDirectory, "en-us");

    /// <summary>Binary n-gram language model (<c>-lm</c>).</summary>
    public string LanguageModel { get; init; } = Path.Combine(DefaultModelDirectory, "en-us.lm.bin");

    /// <summary>Pronunciation dictionary (<c>-dict</c>).</summary>
    public string Dictionary { get; init; } = Path.Combine(DefaultModelDirectory, "cmudict-en-us.dict");

    /// <summary>Languages served by the model.</summary>
    public IReadOnlyList<string> Languages { get; init; } = ["en-US", "en"];

    /// <summary>
    /// Run the second, flat-lexicon search at the end of each utterance (<c>-fwdflat</c>).
    /// Off by default: it multiplies finalisation latency by about 10 for no accuracy gain on
    /// the reference set.
    /// </summary>
    public bool FlatLexiconPass { get; init; }

    /// <summary>
    /// Run the lattice best-path search at the end of each utterance (<c>-bestpath</c>). Needed for
    /// word confidences: without it every word reports confidence 1.
    /// </summary>
    public bool BestPathPass { get; init; } = true;

    /// <summary>
    /// Silence frames (10 ms each) the front-end VAD waits before it declares end of speech
    /// (<c>-vad_postspeech</c>). This is the lower bound of endpointing.
    /// </summary>
    public int VadPostSpeechFrames { get; init; } = 50;

    /// <summary>Number of decoders built ahead of time; the number of concurrent sessions.</summary>
    public int PoolSize { get; init; } = 2;

    /// <summary>The most decoders one engine may pool (<see cref="PoolSize"/>).</summary>
    public const int MaxPoolSize = 64;

    /// <summary>
    /// How long <see cref="ISpeechToTextEngine.StartSessionAsync"/> waits for a free decoder before
    /// failing with <c>engine_busy</c>. <see cref="TimeSpan.Zero"/> fails fast.
    /// </summary>
    public TimeSpan DecoderWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Most session starts allowed to wait for a decoder at once; more fail fast with <c>engine_busy</c>.</summary>
    public int MaxWaitingSessions { get; init; } = 16;

    /// <summary>An utterance longer than this is finalised even without a pause (bounds decoder memory).</summary>
    public TimeSpan MaxUtterance { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Additional decoder arguments as name/value pairs (e.g. <c>-beam</c>, <c>1e-40</c>); they win over the above.</summary>
    public IReadOnlyDictionary<string, string> ExtraArguments { get; init; } = new Dictionary<string, string>();

    /// <summary>Adds one error per invalid setting to <paramref name="errors"/>.</summary>
    public void Validate(IList<Exception> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        RequireFile(AcousticModel, "AcousticModel", directory: true, errors);
        RequireFile(LanguageModel, "LanguageModel", directory: false, errors);
        RequireFile(Dictionary, "Dictionary", directory: false, errors);
        if (Languages.Count == 0)
            errors.Add(Invalid("Languages must name at least one language"));
        if (VadPostSpeechFrames is < 1 or > 1000)
            errors.Add(Invalid($"VadPostSpeechFrames {VadPostSpeechFrames} is out of range: it must be between 1 and 1000"));
        if (PoolSize is < 1 or > MaxPoolSize)
            errors.Add(Invalid($"PoolSize {PoolSize} is out of range: it must be between 1 and {MaxPoolSize}"));
        if (DecoderWait < TimeSpan.Zero || DecoderWait > TimeSpan.FromMinutes(5))
            errors.Add(Invalid($"DecoderWait {DecoderWait} is out of range: it must be between 0 and 5 minutes"));
        if (MaxWaitingSessions is < 0 or > 10_000)
            errors.Add(Invalid($"MaxWaitingSessions {MaxWaitingSessions} is out of range: it must be between 0 and 10000"));
        if (MaxUtterance < TimeSpan.FromSeconds(1) || MaxUtterance > TimeSpan.FromMinutes(10))
            errors.Add(Invalid($"MaxUtterance {MaxUtterance} is out of range: it must be between 1 second and 10 minutes"));
        foreach (var name in ExtraArguments.Keys)
        {
            if (!name.StartsWith('-') || name.Length < 2)
                errors.Add(Invalid($"ExtraArguments name '{name}' must start with '-'"));
            else if (ManagedArguments.Contains(name))
                errors.Add(Invalid($"ExtraArguments may not set '{name}': it is fixed by the engine or has its own option"));
        }
    }

    // Arguments the engine's timing and endpointing logic depends on, or that have a typed option.
    private static readonly HashSet<string> ManagedArguments = new(StringComparer.Ordinal)
    {
        "-hmm", "-lm", "-dict", "-samprate", "-frate", "-fwdflat", "-bestpath", "-remove_silence",
        "-vad_postspeech", "-vad_prespeech", "-vad_startspeech", "-logfn", "-input_endian",
    };

    /// <summary>Frames of speech the VAD needs before it declares speech (<c>-vad_startspeech</c> default).</summary>
    internal const int VadStartSpeechFrames = 10;

    /// <summary>Frames kept from before the speech start (<c>-vad_prespeech</c> default).</summary>
    internal const int VadPreSpeechFrames = 20;

    /// <summary>The argv handed to the decoder.</summary>
    internal IReadOnlyList<string> ToArguments()
    {
        var args = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["-hmm"] = AcousticModel,
            ["-lm"] = LanguageModel,
            ["-dict"] = Dictionary,
            ["-samprate"] = "16000",
            ["-frate"] = "100",
            ["-fwdflat"] = FlatLexiconPass ? "yes" : "no",
            ["-bestpath"] = BestPathPass ? "yes" : "no",
            ["-vad_postspeech"] = VadPostSpeechFrames.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["-remove_silence"] = "yes",
            ["-dither"] = "no",
        };
        foreach (var (name, value) in ExtraArguments)
            args[name] = value;
        var result = new List<string>(args.Count * 2);
        foreach (var (name, value) in args)
        {
            result.Add(name);
            result.Add(value);
        }
        return result;
    }

    private static void RequireFile(string path, string setting, bool directory, IList<Exception> errors)
    {
        var exists = directory ? Directory.Exists(path) : File.Exists(path);
        if (string.IsNullOrWhiteSpace(path) || !exists)
            errors.Add(Invalid($"{setting} '{path}' does not exist (install the pocketsphinx-en-us package or point {setting} at a model)"));
    }

    private static EngineException Invalid(string message) => new("invalid_configuration", message, isPermanent: true);
}
