using Vaani.Control.Domain;

namespace Vaani.Control.Admin;

/// <summary>Body of <c>POST /admin/v1/tenants</c>.</summary>
public sealed record CreateTenantRequest(TenantId Id, string Name);

/// <summary>Body of <c>PUT /admin/v1/tenants/{tenant}/state</c>.</summary>
public sealed record SetTenantStateRequest(bool Disabled);

/// <summary>Body of <c>POST /admin/v1/tenants/{tenant}/keys</c>; scopes are stt, tts, admin.</summary>
public sealed record CreateKeyRequest(string Name, IReadOnlyList<string> Scopes, DateTimeOffset? ExpiresAt = null);

/// <summary>Body of <c>POST /admin/v1/usage/events</c>.</summary>
public sealed record UsageEventsRequest(IReadOnlyList<UsageEvent> Events);

/// <summary>How many delivered events were new and how many were already recorded.</summary>
public sealed record UsageEventsResponse(int Accepted, int Duplicates);

/// <summary>Response of <c>GET /admin/v1/tenants/{tenant}/usage</c>.</summary>
public sealed record UsageReport(TenantId Tenant, UsagePeriod Period, DateOnly From, DateOnly To, IReadOnlyList<UsageAggregate> Buckets);
