using Vaani.Engines;
using Vaani.Engines.Passthrough;

namespace Vaani.Workers.Catalog;

/// <summary>
/// Maps an engine pool name (e.g. <c>stt-en</c>, <c>tts</c>) to the factory that creates the
/// pool's engine inside a worker process. A factory returns one object implementing
/// <see cref="ISpeechToTextEngine"/>, <see cref="ITextToSpeechEngine"/> or both; if it is
/// disposable the worker disposes it on exit. Build the catalog once at startup, then only read it.
/// </summary>
public sealed class EngineCatalog
{
    private readonly Dictionary<string, Func<EngineFactoryContext, object>> _factories = new(StringComparer.Ordinal);

    /// <summary>The pool names registered.</summary>
    public IReadOnlyCollection<string> Pools => _factories.Keys;

    /// <summary>
    /// A catalog with the built-in pools: <c>stt-passthrough</c> and <c>tts-passthrough</c>
    /// (benchmark/test engines). Native engines are added with <see cref="Register"/>.
    /// </summary>
    public static EngineCatalog CreateDefault() => new EngineCatalog()
        .Register("stt-passthrough", _ => new PassthroughSttEngine())
        .Register("tts-passthrough", _ => new PassthroughTtsEngine());

    /// <summary>Registers <paramref name="factory"/> for <paramref name="pool"/>; a pool can be registered once.</summary>
    public EngineCatalog Register(string pool, Func<EngineFactoryContext, object> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pool);
        if (!_factories.TryAdd(pool, factory))
            throw new ArgumentException($"engine pool '{pool}' is already registered", nameof(pool));
        return this;
    }

    /// <summary>Creates the engine(s) of <paramref name="pool"/>.</summary>
    /// <exception cref="EngineException"><c>unknown_pool</c> (permanent) when the pool is not registered or its factory returned no engine.</exception>
    public EnginePool Create(string pool)
    {
        if (!_factories.TryGetValue(pool, out var factory))
            throw new EngineException("unknown_pool", $"engine pool '{pool}' is not registered; known pools: {string.Join(", ", _factories.Keys.Order())}", isPermanent: true);
        var engine = factory(new EngineFactoryContext(pool));
        var pooled = new EnginePool(pool, engine as ISpeechToTextEngine, engine as ITextToSpeechEngine, engine);
        if (pooled.Stt is null && pooled.Tts is null)
            throw new EngineException("unknown_pool", $"the factory of pool '{pool}' returned {engine.GetType().Name}, which is neither an STT nor a TTS engine", isPermanent: true);
        return pooled;
    }
}

/// <summary>What a factory is told when it creates a pool's engine.</summary>
/// <param name="Pool">The pool being created.</param>
public sealed record EngineFactoryContext(string Pool);
