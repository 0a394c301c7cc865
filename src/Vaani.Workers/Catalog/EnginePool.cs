using Vaani.Engines;

namespace Vaani.Workers.Catalog;

/// <summary>The engine(s) a worker process hosts for one pool.</summary>
public sealed class EnginePool : IAsyncDisposable
{
    private readonly object _instance;

    internal EnginePool(string name, ISpeechToTextEngine? stt, ITextToSpeechEngine? tts, object instance)
    {
        Name = name;
        Stt = stt;
        Tts = tts;
        _instance = instance;
    }

    public string Name { get; }
    public ISpeechToTextEngine? Stt { get; }
    public ITextToSpeechEngine? Tts { get; }

    /// <summary>Sessions plus requests the pool runs at once: the larger engine concurrency.</summary>
    public int Capacity => Math.Max(Stt?.Capabilities.MaxConcurrency ?? 0, Tts?.Capabilities.MaxConcurrency ?? 0);

    public async ValueTask DisposeAsync()
    {
        switch (_instance)
        {
            case IAsyncDisposable a: await a.DisposeAsync().ConfigureAwait(false); break;
            case IDisposable d: d.Dispose(); break;
        }
    }
}
