using System.Collections.Concurrent;

namespace Vaani.Gateway.Admission;

/// <summary>
/// Edge admission: a session is admitted only while its pool has a free slot and the node is not
/// draining. Refusals are immediate (never queued), so overload is answered fast with a reason.
/// Slots are per pool, so one saturated language never takes capacity from another.
/// </summary>
public sealed class AdmissionController
{
    private readonly ConcurrentDictionary<string, PoolSlots> _pools = new(StringComparer.Ordinal);
    private volatile bool _draining;

    /// <summary>True once the node stopped admitting (shutdown).</summary>
    public bool IsDraining => _draining;

    public void BeginDrain() => _draining = true;

    /// <summary>Sessions currently admitted, over all pools.</summary>
    public int Active => _pools.Values.Sum(p => p.Active);

    public int ActiveIn(string pool) => _pools.TryGetValue(pool, out var p) ? p.Active : 0;

    /// <summary>Takes a slot in <paramref name="pool"/>, or returns the reason it cannot.</summary>
    public AdmissionResult TryAdmit(string pool, int capacity)
    {
        if (_draining)
            return AdmissionResult.Refused("draining", "this node is shutting down; reconnect to another node", TimeSpan.FromSeconds(1));
        var slots = _pools.GetOrAdd(pool, _ => new PoolSlots());
        while (true)
        {
            int current = slots.Active;
            if (current >= capacity)
                return AdmissionResult.Refused("overloaded", $"pool '{pool}' is at its capacity of {capacity} concurrent sessions", TimeSpan.FromSeconds(2));
            if (Interlocked.CompareExchange(ref slots.ActiveField, current + 1, current) == current)
                return AdmissionResult.Admitted(new Lease(slots));
        }
    }

    internal sealed class PoolSlots
    {
        public int ActiveField;
        public int Active => Volatile.Read(ref ActiveField);
    }

    /// <summary>A held slot; disposing it frees the slot (once).</summary>
    public sealed class Lease : IDisposable
    {
        private PoolSlots? _slots;
        internal Lease(PoolSlots slots) => _slots = slots;
        public void Dispose()
        {
            var s = Interlocked.Exchange(ref _slots, null);
            if (s is not null) Interlocked.Decrement(ref s.ActiveField);
        }
    }
}

/// <summary>The outcome of an admission check.</summary>
public sealed record AdmissionResult(AdmissionController.Lease? Lease, string? Code, string? Message, TimeSpan RetryAfter)
{
    public bool IsAdmitted => Lease is not null;
    public static AdmissionResult Admitted(AdmissionController.Lease lease) => new(lease, null, null, TimeSpan.Zero);
    public static AdmissionResult Refused(string code, string message, TimeSpan retryAfter) => new(null, code, message, retryAfter);
}
