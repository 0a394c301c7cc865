using System.Collections.Concurrent;
using Vaani.Control.Domain;

namespace Vaani.Control.Admission;

/// <summary>
/// Exact per-tenant counts of concurrent sessions, per kind (STT/TTS). Acquisition is a
/// compare-and-swap loop on one counter: when two sessions race for the last slot exactly one
/// wins, and no lock is taken. Disposing the lease frees the slot (once, however often disposed).
/// </summary>
public sealed class TenantConcurrencyLimiter
{
    private readonly ConcurrentDictionary<(TenantId, UsageKind), Counter> _counters = new();

    /// <summary>
    /// Takes a slot when fewer than <paramref name="limit"/> sessions are active; null when full.
    /// A null limit means unlimited (still counted).
    /// </summary>
    public ConcurrencyLease? TryAcquire(TenantId tenant, UsageKind kind, int? limit)
    {
        var counter = _counters.GetOrAdd((tenant, kind), static _ => new Counter());
        while (true)
        {
            var current = Volatile.Read(ref counter.Value);
            if (limit is { } max && current >= max) return null;
            if (Interlocked.CompareExchange(ref counter.Value, current + 1, current) == current)
                return new ConcurrencyLease(counter, tenant, kind);
        }
    }

    /// <summary>Active sessions of a tenant and kind.</summary>
    public int CurrentCount(TenantId tenant, UsageKind kind)
        => _counters.TryGetValue((tenant, kind), out var c) ? Volatile.Read(ref c.Value) : 0;

    internal sealed class Counter
    {
        public int Value;
    }
}

/// <summary>One admitted session's slot; dispose when the session ends.</summary>
public sealed class ConcurrencyLease : IDisposable
{
    private TenantConcurrencyLimiter.Counter? _counter;

    internal ConcurrencyLease(TenantConcurrencyLimiter.Counter counter, TenantId tenant, UsageKind kind)
    {
        _counter = counter;
        Tenant = tenant;
        Kind = kind;
    }

    public TenantId Tenant { get; }

    public UsageKind Kind { get; }

    public void Dispose()
    {
        var counter = Interlocked.Exchange(ref _counter, null);
        if (counter is not null) Interlocked.Decrement(ref counter.Value);
    }
}
