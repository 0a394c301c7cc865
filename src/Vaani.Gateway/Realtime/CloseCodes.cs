using System.Net.WebSockets;

namespace Vaani.Gateway.Realtime;

/// <summary>WebSocket close codes used by Vaani (docs/api.md). A JSON error event precedes every non-normal close.</summary>
public static class CloseCodes
{
    /// <summary>Normal close after flushing results.</summary>
    public const WebSocketCloseStatus Normal = WebSocketCloseStatus.NormalClosure;
    /// <summary>Bad input from the client: invalid message, oversized frame, not reading, idle.</summary>
    public const WebSocketCloseStatus BadInput = WebSocketCloseStatus.PolicyViolation; // 1008
    /// <summary>An internal failure the client cannot fix.</summary>
    public const WebSocketCloseStatus Internal = WebSocketCloseStatus.InternalServerError; // 1011
    /// <summary>The node is overloaded or draining: reconnect (elsewhere) later.</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;
    /// <summary>The service is restarting (drain finished): reconnect.</summary>
    public const WebSocketCloseStatus ServiceRestart = (WebSocketCloseStatus)1012;
}
