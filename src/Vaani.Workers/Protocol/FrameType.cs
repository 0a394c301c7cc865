namespace Vaani.Workers.Protocol;

/// <summary>
/// The kind of a frame on a worker connection. Values are wire constants: never renumber.
/// Direction: G = gateway, W = worker. See docs/worker-protocol.md.
/// </summary>
public enum FrameType : byte
{
    /// <summary>W→G, channel 0, JSON <see cref="HelloMessage"/>; the first frame on a connection.</summary>
    Hello = 0x01,
    /// <summary>G→W, JSON <c>SttSessionOptions</c>; opens STT session <c>channel</c>.</summary>
    StartStt = 0x10,
    /// <summary>W→G, empty; the STT session is open and accepts audio.</summary>
    SttStarted = 0x11,
    /// <summary>G→W, raw audio in the engine's native format.</summary>
    Audio = 0x12,
    /// <summary>G→W, empty; force a final for the audio so far.</summary>
    Finalize = 0x13,
    /// <summary>G→W, empty; end of input.</summary>
    Complete = 0x14,
    /// <summary>W→G, JSON <see cref="WireSttEvent"/>.</summary>
    SttEvent = 0x15,
    /// <summary>W→G, empty; the session's event stream ended normally (after Complete).</summary>
    SttClosed = 0x16,
    /// <summary>G→W, JSON <c>TtsRequest</c>; opens TTS request <c>channel</c>.</summary>
    StartTts = 0x20,
    /// <summary>W→G, raw audio in the engine's native format.</summary>
    TtsAudio = 0x21,
    /// <summary>W→G, JSON <c>TtsWord</c>.</summary>
    TtsWord = 0x22,
    /// <summary>W→G, empty; synthesis finished.</summary>
    TtsDone = 0x23,
    /// <summary>Receiver→sender of a data flow: u32 bytes consumed (flow-control credit).</summary>
    Credit = 0x30,
    /// <summary>G→W, empty; abandon the session or request on <c>channel</c>.</summary>
    Cancel = 0x31,
    /// <summary>Either way, JSON <see cref="ErrorMessage"/>; channel 0 = the whole connection.</summary>
    Error = 0x32,
    /// <summary>G→W, channel 0, 8-byte opaque nonce.</summary>
    Ping = 0x40,
    /// <summary>W→G, channel 0, the nonce of the Ping it answers.</summary>
    Pong = 0x41,
    /// <summary>W→G, channel 0, JSON <see cref="CapacityMessage"/>.</summary>
    CapacityReport = 0x42,
}
