namespace Vaani.Control.Snapshots;

/// <summary>Fetches a complete, current <see cref="ControlSnapshot"/>. Throws on any failure; the caller keeps the last good one.</summary>
public interface ISnapshotLoader
{
    Task<ControlSnapshot> LoadAsync(CancellationToken ct);
}
