using Vaani.Engines;

namespace Vaani.Workers.Protocol;

/// <summary>Payload of <see cref="FrameType.StartStt"/>.</summary>
/// <param name="Options">The session's recognition options.</param>
public sealed record StartSttMessage(SttSessionOptions Options);

/// <summary>Payload of <see cref="FrameType.StartTts"/>.</summary>
/// <param name="Request">What to synthesise.</param>
/// <param name="Window">Bytes of TtsAudio the worker may send ahead of the gateway's credits.</param>
public sealed record StartTtsMessage(TtsRequest Request, int Window);
