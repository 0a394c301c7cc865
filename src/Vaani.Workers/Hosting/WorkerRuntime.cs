using Vaani.Workers.Catalog;

namespace Vaani.Workers.Hosting;

/// <summary>State shared by all connections of one worker process: the engines and the capacity count.</summary>
internal sealed class WorkerRuntime
{
    private int _active;

    public WorkerRuntime(EnginePool engines, WorkerOptions options)
    {
        Engines = engines;
        Options = options;
        Capacity = options.Capacity ?? engines.Capacity;
    }

    public EnginePool Engines { get; }
    public WorkerOptions Options { get; }
    public int Capacity { get; }
    public int Active => Volatile.Read(ref _active);

    /// <summary>Takes one slot; false when the worker is full.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _active);
            if (current >= Capacity)
                return false;
            if (Interlocked.CompareExchange(ref _active, current + 1, current) == current)
                return true;
        }
    }

    public void Release() => Interlocked.Decrement(ref _active);
}
