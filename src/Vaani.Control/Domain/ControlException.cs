namespace Vaani.Control.Domain;

/// <summary>Stable error codes of the control plane; the wire form is the snake_case name.</summary>
public enum ControlErrorCode
{
    InvalidRequest,
    NotFound,
    AlreadyExists,
    Forbidden,
    IdempotencyConflict,
    IdempotencyInProgress,
    Unauthorized,
}

/// <summary>
/// A control-plane operation failed for a specific, documented reason. <see cref="Code"/> is the
/// machine-readable reason; <see cref="Message"/> says which field or limit was wrong.
/// </summary>
public sealed class ControlException : Exception
{
    public ControlException(ControlErrorCode code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    public ControlErrorCode Code { get; }

    /// <summary>The wire code, e.g. <c>idempotency_conflict</c>.</summary>
    public string WireCode => ToWire(Code);

    public static string ToWire(ControlErrorCode code) => code switch
    {
        ControlErrorCode.InvalidRequest => "invalid_request",
        ControlErrorCode.NotFound => "not_found",
        ControlErrorCode.AlreadyExists => "already_exists",
        ControlErrorCode.Forbidden => "forbidden",
        ControlErrorCode.IdempotencyConflict => "idempotency_conflict",
        ControlErrorCode.IdempotencyInProgress => "idempotency_in_progress",
        ControlErrorCode.Unauthorized => "unauthorized",
        _ => "error",
    };
}
