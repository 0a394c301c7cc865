using Vaani.Engines;

namespace Vaani.Workers.Protocol;

/// <summary>
/// The first frame a worker sends on a connection: who it is and what it serves.
/// </summary>
/// <param name="Protocol">Protocol version; see <see cref="CurrentProtocol"/>.</param>
/// <param name="Pool">Engine pool name, e.g. <c>stt-en</c>.</param>
/// <param name="Pid">The worker's process id.</param>
/// <param name="Stt">Capabilities of the pool's STT engine, if it has one.</param>
/// <param name="Tts">Capabilities of the pool's TTS engine, if it has one.</param>
/// <param name="Capacity">Sessions plus requests the worker runs at once.</param>
/// <param name="AudioWindow">Bytes of STT audio per session the gateway may send ahead of the worker's credits.</param>
public sealed record HelloMessage(int Protocol, string Pool, int Pid, EngineCapabilities? Stt, EngineCapabilities? Tts, int Capacity, int AudioWindow)
{
    /// <summary>The protocol version this build speaks.</summary>
    public const int CurrentProtocol = 1;
}
