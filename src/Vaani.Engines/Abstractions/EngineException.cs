namespace Vaani.Engines;

/// <summary>
/// A failure inside an engine or caused by an engine request.
/// <see cref="IsPermanent"/> tells callers whether retrying the same request can help
/// (false for a crashed or busy engine; true for an unsupported language, invalid SSML, ...).
/// </summary>
public class EngineException : Exception
{
    public EngineException(string code, string message, bool isPermanent, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        IsPermanent = isPermanent;
    }

    /// <summary>Stable machine-readable code, e.g. <c>unsupported_language</c>, <c>engine_failed</c>.</summary>
    public string Code { get; }

    /// <summary>True when the request itself is at fault and a retry cannot succeed.</summary>
    public bool IsPermanent { get; }
}
