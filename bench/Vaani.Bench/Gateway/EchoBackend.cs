using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Vaani.Bench.Gateway;

/// <summary>
/// The backend that nginx proxies to and that the "direct" baseline talks to: a minimal Kestrel
/// WebSocket server that answers like the passthrough engine behind the gateway does — one
/// <c>transcript.partial</c> (same JSON shape, same growing text) after every
/// <see cref="StreamLoad.ResponseEveryBytes"/> bytes of audio, <c>session.started</c> on accept and
/// <c>session.closed</c> after a <c>close</c> message. It runs in its own process
/// (<c>gateway --backend</c>) so it never shares a thread pool with the load generator, and it
/// exits when its standard input closes (its parent is gone).
/// </summary>
internal static class EchoBackend
{
    private static readonly byte[] Started = Encoding.UTF8.GetBytes("""{"type":"session.started","model":"echo"}""");
    private static readonly byte[] Closed = Encoding.UTF8.GetBytes("""{"type":"session.closed"}""");

    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.UseWebSockets();
        app.Map("/v1/stt/stream", HandleAsync);
        return await BenchChild.ServeAsync(app, cancellationToken);
    }

    private static async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return;
        }
        using var ws = await context.WebSockets.AcceptWebSocketAsync();
        var ct = context.RequestAborted;
        var buffer = new byte[4096];
        var text = new StringBuilder();
        long bytes = 0;
        long next = StreamLoad.ResponseEveryBytes;
        try
        {
            await ws.SendAsync(Started, WebSocketMessageType.Text, endOfMessage: true, ct);
            while (true)
            {
                var result = await ws.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
                    return;
                }
                if (result.MessageType == WebSocketMessageType.Text)
                {
                    if (!result.EndOfMessage) continue;
                    // The only control message the load sends is {"type":"close"}.
                    await ws.SendAsync(Closed, WebSocketMessageType.Text, endOfMessage: true, ct);
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
                    return;
                }
                bytes += result.Count;
                while (bytes >= next)
                {
                    // The passthrough's partial: every word started so far ("w0 w1 ..."), from 0 to the audio end.
                    text.Clear();
                    long words = (next + StreamLoad.BytesPerSecond - 1) / StreamLoad.BytesPerSecond;
                    for (long i = 0; i < words; i++) text.Append(i == 0 ? "w" : " w").Append(i);
                    var end = Math.Round(next / (double)StreamLoad.BytesPerSecond, 3).ToString(CultureInfo.InvariantCulture);
                    var json = $$"""{"type":"transcript.partial","text":"{{text}}","start":0,"end":{{end}}}""";
                    await ws.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, ct);
                    next += StreamLoad.ResponseEveryBytes;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The client went away: nothing to answer.
        }
    }
}
