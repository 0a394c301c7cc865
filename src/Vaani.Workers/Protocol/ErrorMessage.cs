using Vaani.Engines;

namespace Vaani.Workers.Protocol;

/// <summary>Payload of an <see cref="FrameType.Error"/> frame; maps one-to-one onto <see cref="EngineException"/>.</summary>
/// <param name="Code">Stable code, e.g. <c>worker_busy</c>, <c>engine_failed</c>, <c>frame_too_large</c>.</param>
/// <param name="Message">What was wrong, safe to show a client.</param>
/// <param name="Permanent">True when retrying the same request cannot help.</param>
public sealed record ErrorMessage(string Code, string Message, bool Permanent)
{
    public static ErrorMessage From(Exception ex) => ex switch
    {
        EngineException e => new(e.Code, e.Message, e.IsPermanent),
        ProtocolException p => new(p.Code, p.Message, true),
        _ => new("engine_failed", ex.Message, false),
    };

    public EngineException ToException() => new(Code, Message, Permanent);
}
