using Vaani.Control.Admin;
using Vaani.Control.Domain;

namespace Vaani.Control.Usage;

/// <summary>Where spooled usage goes. Must be idempotent by event id; throws on failure (the batch is retried).</summary>
public interface IUsageSink
{
    Task<UsageEventsResponse> DeliverAsync(IReadOnlyList<UsageEvent> events, CancellationToken ct);
}
