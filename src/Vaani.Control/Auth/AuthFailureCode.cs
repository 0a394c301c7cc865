namespace Vaani.Control.Auth;

/// <summary>Why a credential was refused. Wire form: the snake_case name (see <see cref="AuthFailureCodes.ToWire"/>).</summary>
public enum AuthFailureCode
{
    /// <summary>No Authorization header and no token query parameter.</summary>
    MissingCredentials,

    /// <summary>Wrong scheme, or the value is not shaped like a key or token.</summary>
    MalformedCredentials,

    /// <summary>Well-formed, but the key id is not in the snapshot.</summary>
    UnknownKey,

    /// <summary>The key id exists but the secret (or the token signature) does not match.</summary>
    InvalidKey,

    RevokedKey,

    /// <summary>The key, or a short-lived token, is past its expiry.</summary>
    ExpiredKey,

    /// <summary>Valid key without the scope the endpoint requires.</summary>
    InsufficientScope,

    TenantDisabled,

    /// <summary>No snapshot loaded yet, or the last good one is older than the maximum staleness.</summary>
    ControlPlaneUnavailable,
}

/// <summary>Wire codes and HTTP statuses of <see cref="AuthFailureCode"/>.</summary>
public static class AuthFailureCodes
{
    public static string ToWire(this AuthFailureCode code) => code switch
    {
        AuthFailureCode.MissingCredentials => "missing_credentials",
        AuthFailureCode.MalformedCredentials => "malformed_credentials",
        AuthFailureCode.UnknownKey => "unknown_key",
        AuthFailureCode.InvalidKey => "invalid_key",
        AuthFailureCode.RevokedKey => "revoked_key",
        AuthFailureCode.ExpiredKey => "expired_key",
        AuthFailureCode.InsufficientScope => "insufficient_scope",
        AuthFailureCode.TenantDisabled => "tenant_disabled",
        AuthFailureCode.ControlPlaneUnavailable => "control_plane_unavailable",
        _ => "unauthorized",
    };

    /// <summary>401 for bad credentials, 403 for valid ones that may not do this, 503 when the control plane is out of reach too long.</summary>
    public static int HttpStatus(this AuthFailureCode code) => code switch
    {
        AuthFailureCode.InsufficientScope or AuthFailureCode.TenantDisabled => 403,
        AuthFailureCode.ControlPlaneUnavailable => 503,
        _ => 401,
    };
}
