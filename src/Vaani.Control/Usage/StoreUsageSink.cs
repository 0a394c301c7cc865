using Vaani.Control.Admin;
using Vaani.Control.Domain;
using Vaani.Control.Store;

namespace Vaani.Control.Usage;

/// <summary>Single-node mode: inserts usage straight into the local store.</summary>
public sealed class StoreUsageSink(IControlStore store) : IUsageSink
{
    public async Task<UsageEventsResponse> DeliverAsync(IReadOnlyList<UsageEvent> events, CancellationToken ct)
    {
        var accepted = await store.InsertUsageBatchAsync(events, ct);
        return new UsageEventsResponse(accepted, events.Count - accepted);
    }
}
