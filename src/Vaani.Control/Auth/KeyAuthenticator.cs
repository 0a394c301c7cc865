using Vaani.Control.Domain;
using Vaani.Control.Keys;
using Vaani.Control.Snapshots;

namespace Vaani.Control.Auth;

/// <summary>
/// Edge authentication against a <see cref="ControlSnapshot"/>: no I/O, no control-plane call.
/// Accepts <c>Authorization: Token &lt;key&gt;</c> or <c>Bearer &lt;key&gt;</c> where key is an API
/// key secret or a <see cref="TokenIssuer"/> token, and <c>?token=</c> (short-lived tokens only;
/// long-lived secrets never belong in URLs, which end up in logs).
/// </summary>
/// <remarks>
/// Staleness rule: the snapshot must have been confirmed by a successful load within
/// <see cref="MaxStaleness"/>. Within it, keys the snapshot knows are admitted (keys created since
/// the last load are unknown until the next one). Beyond it — or before the first load — every
/// new authentication fails with <see cref="AuthFailureCode.ControlPlaneUnavailable"/>: a
/// revocation or tenant suspension may have been missed, so admitting longer would be unsafe.
/// Sessions already running are never re-checked.
/// </remarks>
public sealed class KeyAuthenticator
{
    /// <summary>Default bound on how old a snapshot may be and still admit new sessions.</summary>
    public static readonly TimeSpan DefaultMaxStaleness = TimeSpan.FromMinutes(15);

    private const int MaxCredentialLength = 512;

    private readonly TimeProvider _time;
    private readonly TokenIssuer? _tokens;

    /// <param name="tokens">Verifier for short-lived tokens; null disables them.</param>
    public KeyAuthenticator(TimeProvider? time = null, TokenIssuer? tokens = null, TimeSpan? maxStaleness = null)
    {
        _time = time ?? TimeProvider.System;
        _tokens = tokens;
        MaxStaleness = maxStaleness ?? DefaultMaxStaleness;
    }

    public TimeSpan MaxStaleness { get; }

    /// <summary>Authenticates a request needing <paramref name="requiredScope"/> (stt, tts or admin).</summary>
    /// <param name="queryToken">The <c>token</c> query parameter, if any.</param>
    public AuthResult Authenticate(string? authorizationHeader, string requiredScope, ControlSnapshot snapshot, string? queryToken = null)
    {
        var scope = ApiKeyScopeNames.TryParseOne(requiredScope)
            ?? throw new ArgumentException($"Unknown scope '{requiredScope}'.", nameof(requiredScope));
        return Authenticate(authorizationHeader, scope, snapshot, queryToken);
    }

    /// <inheritdoc cref="Authenticate(string?, string, ControlSnapshot, string?)"/>
    public AuthResult Authenticate(string? authorizationHeader, ApiKeyScopes requiredScope, ControlSnapshot snapshot, string? queryToken = null)
    {
        string credential;
        bool fromQuery;
        if (!string.IsNullOrWhiteSpace(authorizationHeader))
        {
            var header = authorizationHeader.Trim();
            var space = header.IndexOf(' ');
            var scheme = space < 0 ? header : header[..space];
            if (space < 0 || !(scheme.Equals("Token", StringComparison.OrdinalIgnoreCase) || scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)))
                return AuthResult.Fail(AuthFailureCode.MalformedCredentials, "The Authorization header must be 'Token <key>' or 'Bearer <key>'.");
            credential = header[(space + 1)..].Trim();
            fromQuery = false;
        }
        else if (!string.IsNullOrWhiteSpace(queryToken))
        {
            credential = queryToken.Trim();
            fromQuery = true;
        }
        else
        {
            return AuthResult.Fail(AuthFailureCode.MissingCredentials, "No credentials: send 'Authorization: Token <key>' or a short-lived '?token='.");
        }

        if (credential.Length == 0 || credential.Length > MaxCredentialLength)
            return AuthResult.Fail(AuthFailureCode.MalformedCredentials, "The credential is empty or too long.");

        var now = _time.GetUtcNow();
        if (!snapshot.IsLoaded)
            return AuthResult.Fail(AuthFailureCode.ControlPlaneUnavailable, "The control plane has not been reached yet; no keys are known.");
        var age = now - snapshot.ConfirmedAt;
        if (age > MaxStaleness)
            return AuthResult.Fail(AuthFailureCode.ControlPlaneUnavailable,
                $"Control state is {age.TotalMinutes:0} minutes old, beyond the {MaxStaleness.TotalMinutes:0}-minute limit; new sessions are refused until the control plane is reachable.");

        if (credential.StartsWith(TokenIssuer.Prefix, StringComparison.Ordinal))
            return AuthenticateToken(credential, requiredScope, snapshot);
        if (fromQuery)
            return AuthResult.Fail(AuthFailureCode.MalformedCredentials, "Only short-lived tokens are accepted in the query string; send API keys in the Authorization header.");
        if (!ApiKeySecret.TryParse(credential, out var keyId))
            return AuthResult.Fail(AuthFailureCode.MalformedCredentials, "The key is not shaped like 'vaani_vk_<16 hex>_<43 base62>'.");
        if (!snapshot.Keys.TryGetValue(keyId, out var key))
            return AuthResult.Fail(AuthFailureCode.UnknownKey, $"API key {keyId} is not known.");
        if (!ApiKeySecret.Verify(credential, key.Salt, key.SecretHash))
            return AuthResult.Fail(AuthFailureCode.InvalidKey, $"The secret of API key {keyId} does not match.");
        return Admit(key, key.Scopes, requiredScope, snapshot, now, viaToken: false);
    }

    private AuthResult AuthenticateToken(string token, ApiKeyScopes requiredScope, ControlSnapshot snapshot)
    {
        if (_tokens is null)
            return AuthResult.Fail(AuthFailureCode.MalformedCredentials, "Short-lived tokens are not enabled on this server.");
        var verified = _tokens.Verify(token, out var claims);
        if (!verified.Succeeded) return verified;

        // Tokens are checked without a store lookup, but the snapshot still knows revocations
        // and suspensions: a token never outlives its key.
        if (!snapshot.Keys.TryGetValue(claims!.KeyId, out var key) || key.Tenant != claims.Tenant)
            return AuthResult.Fail(AuthFailureCode.UnknownKey, $"The token's API key {claims.KeyId} is not known.");
        return Admit(key, claims.Scopes & key.Scopes, requiredScope, snapshot, _time.GetUtcNow(), viaToken: true);
    }

    private static AuthResult Admit(SnapshotKey key, ApiKeyScopes scopes, ApiKeyScopes requiredScope, ControlSnapshot snapshot, DateTimeOffset now, bool viaToken)
    {
        if (key.RevokedAt is { } revoked && revoked <= now)
            return AuthResult.Fail(AuthFailureCode.RevokedKey, $"API key {key.Id} was revoked at {revoked:O}.");
        if (key.ExpiresAt is { } expires && expires <= now)
            return AuthResult.Fail(AuthFailureCode.ExpiredKey, $"API key {key.Id} expired at {expires:O}.");
        if (!snapshot.Tenants.TryGetValue(key.Tenant, out var tenant) || tenant.Disabled)
            return AuthResult.Fail(AuthFailureCode.TenantDisabled, $"Tenant {key.Tenant} is disabled.");
        if ((scopes & requiredScope) != requiredScope)
            return AuthResult.Fail(AuthFailureCode.InsufficientScope,
                $"API key {key.Id} lacks the '{string.Join(",", ApiKeyScopeNames.ToNames(requiredScope))}' scope (has: {string.Join(",", ApiKeyScopeNames.ToNames(scopes))}).");
        return AuthResult.Success(new AuthenticatedKey(key.Tenant, key.Id, scopes, viaToken));
    }
}
