namespace Vaani.Workers.Protocol;

/// <summary>
/// The peer broke the worker protocol (oversized or truncated frame, unknown type, bad JSON,
/// a frame out of sequence). The connection cannot be trusted afterwards and is closed.
/// </summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(string code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    /// <summary>Stable code, e.g. <c>frame_too_large</c>, <c>bad_payload</c>, <c>unexpected_frame</c>.</summary>
    public string Code { get; }
}
