using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Vaani.Compat.Tests.Infrastructure;

/// <summary>Reads a WebSocket to its close: text messages as JSON, binary byte counts, and the close status.</summary>
public static class Ws
{
    public sealed record Received(List<JsonElement> Json, long BinaryBytes, WebSocketCloseStatus? Status, string? Reason);

    public static async Task<Received> ReadToCloseAsync(ClientWebSocket ws, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var json = new List<JsonElement>();
        long binary = 0;
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, cts.Token);
            if (r.MessageType == WebSocketMessageType.Close) return new Received(json, binary, r.CloseStatus, r.CloseStatusDescription);
            message.Write(buffer, 0, r.Count);
            if (!r.EndOfMessage) continue;
            if (r.MessageType == WebSocketMessageType.Text) json.Add(JsonDocument.Parse(message.ToArray()).RootElement.Clone());
            else binary += message.Length;
            message.SetLength(0);
        }
    }

    public static Task SendJsonAsync(ClientWebSocket ws, object message) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message)), WebSocketMessageType.Text, true, CancellationToken.None);
}
