namespace Vaani.Control.Domain;

/// <summary>A customer of the installation; owns keys, quotas and usage.</summary>
public sealed record Tenant(TenantId Id, string Name, DateTimeOffset CreatedAt, bool Disabled);
