using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Vaani.Bench.Gateway;

/// <summary>
/// The <see cref="WebSocketRelay"/>'s job done on the stack the gateway is built on: Kestrel with the
/// gateway's socket settings (inline completions on one epoll thread, inline scheduling; set by the
/// suite for this process), the server WebSocket of ASP.NET Core towards the client and
/// <see cref="ClientWebSocket"/> towards the echo backend, one receive loop per direction, each
/// message passed on as it comes. No session, no audio, no JSON, no worker. Beside the gateway it
/// splits the gateway's CPU per frame into what this stack costs for terminating the WebSocket and
/// what the gateway's session core and worker protocol add. Run as <c>gateway --kestrel-relay &lt;backend port&gt;</c>;
/// exits when its standard input closes.
/// </summary>
internal static class KestrelRelay
{
    /// <summary>The environment the suite starts it with: the gateway's socket event loop (docs/cli.md, "Socket completions").</summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1",
        ["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = "1",
    };

    public static async Task<int> RunAsync(int backendPort, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.UseSockets(s => s.UnsafePreferInlineScheduling = true);
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.UseWebSockets();
        app.Map("/v1/stt/stream", context => RelayAsync(context, backendPort));
        return await BenchChild.ServeAsync(app, cancellationToken);
    }

    private static async Task RelayAsync(HttpContext context, int backendPort)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return;
        }
        using var backend = new ClientWebSocket();
        backend.Options.KeepAliveInterval = TimeSpan.Zero;
        var ct = context.RequestAborted;
        await backend.ConnectAsync(new Uri($"ws://127.0.0.1:{backendPort}{context.Request.Path}{context.Request.QueryString}"), ct);
        using var client = await context.WebSockets.AcceptWebSocketAsync();
        var up = PumpAsync(client, backend, ct);
        var down = PumpAsync(backend, client, ct);
        await Task.WhenAny(up, down);
        await Task.WhenAll(up, down).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Passes every message fragment from <paramref name="from"/> to <paramref name="to"/>, then the close.</summary>
    private static async Task PumpAsync(WebSocket from, WebSocket to, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await from.ReceiveAsync(buffer.AsMemory(), ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await to.CloseOutputAsync(from.CloseStatus ?? WebSocketCloseStatus.NormalClosure, from.CloseStatusDescription, ct);
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, ct);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // One side went away: the other is closed when the request ends.
        }
    }
}
