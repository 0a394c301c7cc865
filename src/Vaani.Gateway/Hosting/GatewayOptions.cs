namespace Vaani.Gateway.Hosting;

/// <summary>Gateway settings. Defaults are the documented limits (docs/api.md).</summary>
public sealed record GatewayOptions
{
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>TCP port; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Largest binary WebSocket message (audio frame) accepted.</summary>
    public int MaxAudioMessageBytes { get; init; } = 256 * 1024;
    /// <summary>Largest text WebSocket message (JSON control) accepted.</summary>
    public int MaxTextMessageBytes { get; init; } = 64 * 1024;
    /// <summary>How far ahead of real time a client may send before it is paced.</summary>
    public TimeSpan RealtimeBurst { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Messages queued for a client; producers wait while it is full.</summary>
    public int OutboundQueueMessages { get; init; } = 256;
    /// <summary>A client whose outbound queue stays full this long has stopped reading and is closed.</summary>
    public TimeSpan SlowReaderTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>A session with no client message (audio, keepalive) for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>WebSocket ping interval (protocol-level keepalive).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Longest wait for the final results after the client closes its input.</summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>On shutdown, how long running sessions may continue before being told to reconnect.</summary>
    public TimeSpan DrainGrace { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Largest HTTP upload for batch STT.</summary>
    public long MaxUploadBytes { get; init; } = 100L * 1024 * 1024;
    /// <summary>Longest audio accepted for batch STT.</summary>
    public TimeSpan MaxBatchAudio { get; init; } = TimeSpan.FromHours(1);
    /// <summary>Longest text accepted for one TTS request or context message.</summary>
    public int MaxTtsChars { get; init; } = 20_000;
    /// <summary>Concurrent contexts on one TTS socket.</summary>
    public int MaxTtsContextsPerSocket { get; init; } = 16;
    /// <summary>
    /// Serve TCP connections and read worker sockets on the gateway's own event loop, and let
    /// WebSocket sessions read and write their socket directly once the handshake is done, instead
    /// of through Kestrel's pipes and ASP.NET Core's WebSocket (docs/cli.md, "Event loop"). Only
    /// where <see cref="Vaani.Workers.Net.EventLoop.IsSupported"/>.
    /// </summary>
    public bool DirectWebSockets { get; init; } = true;
    /// <summary>Settings of the Deepgram- and OpenAI-compatible APIs; null: defaults plus VAANI_FETCH_ALLOW.</summary>
    public Compat.CompatOptions? Compat { get; init; }
}
