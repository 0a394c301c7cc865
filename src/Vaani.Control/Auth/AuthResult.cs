using Vaani.Control.Domain;

namespace Vaani.Control.Auth;

/// <summary>Who a request acts for: the key's tenant, the key id and its scopes.</summary>
public sealed record AuthenticatedKey(TenantId Tenant, ApiKeyId KeyId, ApiKeyScopes Scopes, bool ViaToken)
{
    /// <summary>True for an admin-scope key of the default tenant, which may manage every tenant.</summary>
    public bool IsRoot => Tenant == TenantId.Default && Scopes.HasFlag(ApiKeyScopes.Admin);
}

/// <summary>Outcome of <see cref="KeyAuthenticator.Authenticate"/>: a principal or a specific failure.</summary>
public sealed record AuthResult
{
    private AuthResult(AuthenticatedKey? principal, AuthFailureCode? failure, string message)
    {
        Principal = principal;
        Failure = failure;
        Message = message;
    }

    public AuthenticatedKey? Principal { get; }

    public AuthFailureCode? Failure { get; }

    /// <summary>A human-readable reason (never contains the secret).</summary>
    public string Message { get; }

    public bool Succeeded => Principal is not null;

    public static AuthResult Success(AuthenticatedKey principal) => new(principal, null, "ok");

    public static AuthResult Fail(AuthFailureCode code, string message) => new(null, code, message);
}
