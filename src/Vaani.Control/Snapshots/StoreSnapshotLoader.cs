using Vaani.Control.Store;

namespace Vaani.Control.Snapshots;

/// <summary>Single-node mode: builds snapshots straight from the local <see cref="IControlStore"/>.</summary>
public sealed class StoreSnapshotLoader(IControlStore store, TimeProvider? time = null) : ISnapshotLoader
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public Task<ControlSnapshot> LoadAsync(CancellationToken ct) => store.LoadSnapshotAsync(_time.GetUtcNow(), ct);
}
