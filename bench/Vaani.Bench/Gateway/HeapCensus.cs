using Microsoft.Diagnostics.Runtime;

namespace Vaani.Bench.Gateway;

/// <summary>
/// The live objects on another .NET process's managed heap, by type, read from outside with ClrMD
/// (the process is suspended while it is read, ~1 s). Live = reachable from a GC root, found by
/// walking references; garbage not yet collected is counted apart, so two censuses compare what
/// the process really holds. Reading a process faults some of its file-backed pages (metadata) into
/// its RSS: take RSS readings before a census, not after.
/// </summary>
internal sealed class HeapCensus
{
    private HeapCensus(Dictionary<string, (long Count, long Bytes)> byType, long liveBytes, long deadBytes, long committedBytes)
    {
        ByType = byType;
        LiveBytes = liveBytes;
        DeadBytes = deadBytes;
        CommittedBytes = committedBytes;
    }

    /// <summary>Live objects per type name (byte arrays also by length): count and bytes.</summary>
    public IReadOnlyDictionary<string, (long Count, long Bytes)> ByType { get; }

    public long LiveBytes { get; }

    /// <summary>Unreachable objects still on the heap (garbage not yet collected, free space excluded).</summary>
    public long DeadBytes { get; }

    /// <summary>Memory the GC has committed for its heap.</summary>
    public long CommittedBytes { get; }

    /// <summary>Takes a census of <paramref name="pid"/>, or returns null with the reason (e.g. no permission to attach).</summary>
    public static HeapCensus? TryTake(int pid, out string? error)
    {
        try
        {
            error = null;
            return Take(pid);
        }
        catch (Exception ex) when (ex is ClrDiagnosticsException or InvalidOperationException or UnauthorizedAccessException or IOException)
        {
            error = ex.Message;
            return null;
        }
    }

    private static HeapCensus Take(int pid)
    {
        using var target = DataTarget.AttachToProcess(pid, suspend: true);
        if (target.ClrVersions.Length == 0) throw new InvalidOperationException($"process {pid} runs no .NET runtime");
        using var runtime = target.ClrVersions[0].CreateRuntime();
        var heap = runtime.Heap;
        var live = new HashSet<ulong>();
        var pending = new Stack<ClrObject>();
        foreach (var root in heap.EnumerateRoots())
        {
            if (root.Object.IsValid && live.Add(root.Object.Address)) pending.Push(root.Object);
        }
        while (pending.Count > 0)
        {
            foreach (var reference in pending.Pop().EnumerateReferences(carefully: true, considerDependantHandles: true))
            {
                if (reference.IsValid && live.Add(reference.Address)) pending.Push(reference);
            }
        }
        var byType = new Dictionary<string, (long Count, long Bytes)>();
        long liveBytes = 0, deadBytes = 0;
        foreach (var obj in heap.EnumerateObjects())
        {
            if (!obj.IsValid || obj.IsFree) continue;
            long size = (long)obj.Size;
            if (!live.Contains(obj.Address)) { deadBytes += size; continue; }
            var name = obj.Type?.Name ?? "?";
            if (name == "System.Byte[]") name += $" (length {obj.AsArray().Length})";
            var (count, bytes) = byType.GetValueOrDefault(name);
            byType[name] = (count + 1, bytes + size);
            liveBytes += size;
        }
        long committed = heap.Segments.Sum(s => (long)s.CommittedMemory.Length);
        return new HeapCensus(byType, liveBytes, deadBytes, committed);
    }

    /// <summary>Per-type growth from <paramref name="before"/> to <paramref name="after"/>, divided by <paramref name="per"/>, largest first.</summary>
    public static IReadOnlyList<(string Type, double Count, double Bytes)> Growth(HeapCensus before, HeapCensus after, int per) =>
        after.ByType.Keys.Union(before.ByType.Keys)
            .Select(t => (Type: t, After: after.ByType.GetValueOrDefault(t), Before: before.ByType.GetValueOrDefault(t)))
            .Select(x => (x.Type, (x.After.Count - x.Before.Count) / (double)per, (x.After.Bytes - x.Before.Bytes) / (double)per))
            .OrderByDescending(x => x.Item3)
            .ToList();
}
