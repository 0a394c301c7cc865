using Vaani.Engines;

namespace Vaani.Gateway.Routing;

/// <summary>
/// Maps a request (language, voice, model) to the engine pool that serves it. The gateway only
/// ever sees engines through this interface: in <c>vaani serve</c> they are proxies to worker
/// processes, so no native engine is loaded in the gateway.
/// </summary>
public interface IEngineRouter
{
    /// <summary>The STT pool for <paramref name="language"/>, or null when none serves it.</summary>
    EnginePool<ISpeechToTextEngine>? FindStt(string language);

    /// <summary>The TTS pool for a voice or language, or null when none serves it.</summary>
    EnginePool<ITextToSpeechEngine>? FindTts(string? voice, string? language);

    /// <summary>Every pool, for listings and readiness.</summary>
    IReadOnlyList<IEnginePool> Pools { get; }
}

/// <summary>A named pool of interchangeable engines (one language/model).</summary>
public interface IEnginePool
{
    string Name { get; }
    EngineCapabilities Capabilities { get; }
    /// <summary>True when at least one engine instance can take work now.</summary>
    bool IsServing { get; }
    /// <summary>How many sessions the pool can hold at once (admission limit).</summary>
    int Capacity { get; }
}

/// <summary>A pool with its engine (which may front several workers).</summary>
public sealed record EnginePool<TEngine>(string Name, TEngine Engine, int Capacity, Func<bool> Serving) : IEnginePool
    where TEngine : class
{
    public EngineCapabilities Capabilities => Engine switch
    {
        ISpeechToTextEngine s => s.Capabilities,
        ITextToSpeechEngine t => t.Capabilities,
        _ => throw new InvalidOperationException("unknown engine kind"),
    };

    public bool IsServing => Serving();
}
