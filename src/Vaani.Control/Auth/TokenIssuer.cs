using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Vaani.Control.Domain;

namespace Vaani.Control.Auth;

/// <summary>
/// Short-lived signed tokens for browsers (which cannot set headers on a WebSocket handshake and so
/// pass <c>?token=</c>). Format: <c>vt1.&lt;base64url payload&gt;.&lt;base64url HMAC-SHA256&gt;</c>
/// with payload <c>tenant|key id|scopes|expiry unix seconds</c>. Verified with the signing key
/// alone: no store lookup. Every gateway that verifies must share the signing key (configuration).
/// </summary>
public sealed class TokenIssuer
{
    public const string Prefix = "vt1.";
    public static readonly TimeSpan MinLifetime = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(60);

    private readonly byte[] _signingKey;
    private readonly TimeProvider _time;

    /// <param name="signingKey">At least 32 bytes of secret randomness.</param>
    public TokenIssuer(byte[] signingKey, TimeProvider? time = null)
    {
        if (signingKey is null || signingKey.Length < 32)
            throw new ArgumentException("The token signing key must be at least 32 bytes.", nameof(signingKey));
        _signingKey = (byte[])signingKey.Clone();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Issues a token for an authenticated key; the scopes may only narrow the key's scopes.</summary>
    public string Issue(TenantId tenant, ApiKeyId keyId, ApiKeyScopes scopes, TimeSpan lifetime)
    {
        if (lifetime < MinLifetime || lifetime > MaxLifetime)
            throw new ControlException(ControlErrorCode.InvalidRequest, $"Token lifetime must be between 1 and 60 minutes, was {lifetime.TotalMinutes:0.##} minutes.");
        var expires = _time.GetUtcNow().Add(lifetime).ToUnixTimeSeconds();
        var payload = string.Create(CultureInfo.InvariantCulture, $"{tenant.Value}|{keyId.Value}|{(int)scopes}|{expires}");
        var payloadBytes = Encoding.UTF8.GetBytes(payload);
        return Prefix + Base64Url.EncodeToString(payloadBytes) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(_signingKey, payloadBytes));
    }

    /// <summary>Checks shape, signature (constant time) and expiry.</summary>
    public AuthResult Verify(string token, out TokenClaims? claims)
    {
        claims = null;
        if (!token.StartsWith(Prefix, StringComparison.Ordinal))
            return AuthResult.Fail(AuthFailureCode.MalformedCredentials, "Not a Vaani token.");
        var parts = token[Prefix.Length..].Split('.');
        if (parts.Length != 2 || !TryDecode(parts[0], out var payloadBytes) || !TryDecode(parts[1], out var signature))
            return AuthResult.Fail(AuthFailureCode.MalformedCredentials, "The token is not 'vt1.<payload>.<signature>' in base64url.");
        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_signingKey, payloadBytes), signature))
            return AuthResult.Fail(AuthFailureCode.InvalidKey, "The token signature does not verify.");
        var fields = Encoding.UTF8.GetString(payloadBytes).Split('|');
        if (fields.Length != 4 || !TenantId.IsValid(fields[0]) || !ApiKeyId.IsValid(fields[1])
            || !int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var scopes)
            || !long.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var expiry))
            return AuthResult.Fail(AuthFailureCode.MalformedCredentials, "The token payload is malformed.");
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(expiry);
        if (_time.GetUtcNow() >= expiresAt)
            return AuthResult.Fail(AuthFailureCode.ExpiredKey, $"The token expired at {expiresAt:O}.");
        claims = new TokenClaims(new TenantId(fields[0]), new ApiKeyId(fields[1]), (ApiKeyScopes)scopes, expiresAt);
        return AuthResult.Success(new AuthenticatedKey(claims.Tenant, claims.KeyId, claims.Scopes, ViaToken: true));
    }

    private static bool TryDecode(string s, out byte[] bytes)
    {
        try
        {
            bytes = Base64Url.DecodeFromChars(s);
            return bytes.Length > 0;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}

/// <summary>What a verified token says.</summary>
public sealed record TokenClaims(TenantId Tenant, ApiKeyId KeyId, ApiKeyScopes Scopes, DateTimeOffset ExpiresAt);
