namespace Vaani.Control.Domain;

/// <summary>
/// An API key as stored: the secret itself is never kept, only <see cref="SecretHash"/> =
/// SHA-256(<see cref="Salt"/> || secret). See docs/control-plane.md for why a salt and not a pepper.
/// </summary>
public sealed record ApiKey(
    ApiKeyId Id,
    TenantId Tenant,
    string Name,
    ApiKeyScopes Scopes,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    byte[] SecretHash,
    byte[] Salt)
{
    /// <summary>The key as shown to administrators (no hash material).</summary>
    public ApiKeyInfo ToInfo() => new(Id, Tenant, Name, ApiKeyScopeNames.ToNames(Scopes), CreatedAt, ExpiresAt, RevokedAt);
}

/// <summary>Public view of an API key, returned by the admin API.</summary>
public sealed record ApiKeyInfo(
    ApiKeyId Id,
    TenantId Tenant,
    string Name,
    IReadOnlyList<string> Scopes,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt);

/// <summary>Result of creating a key: the only time the secret is ever returned.</summary>
public sealed record CreatedApiKey(ApiKeyInfo Key, string Secret);
