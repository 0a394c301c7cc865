using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Vaani.Gateway.Realtime;

namespace Vaani.Gateway.Transport;

/// <summary>
/// Runs after ASP.NET Core's WebSocket middleware. For a WebSocket request on a connection of the
/// gateway's own transport (<see cref="DirectConnection"/>) it replaces the accept step: the
/// handshake response still goes out through Kestrel, then the socket is detached and the endpoint
/// gets a <see cref="DirectWebSocket"/> on it. Endpoints call <c>AcceptWebSocketAsync</c> as before.
/// Any other request, and an accept that asks for compression, keeps ASP.NET Core's WebSocket.
/// </summary>
internal sealed class DirectWebSocketMiddleware(RequestDelegate next, TimeSpan keepAliveInterval, Ticker ticker)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<DirectConnection>() is { } connection &&
            context.Features.Get<IHttpWebSocketFeature>() is { IsWebSocketRequest: true } inner &&
            context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
            context.Features.Set<IHttpWebSocketFeature>(new Feature(context, inner, upgrade, connection, keepAliveInterval, ticker));
        return next(context);
    }

    /// <summary>The handshake's Sec-WebSocket-Accept value for a client's key (RFC 6455 section 4.2.2).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "RFC 6455 defines the handshake with SHA-1; it is not used for security")]
    internal static string AcceptKey(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    private sealed class Feature(HttpContext context, IHttpWebSocketFeature inner, IHttpUpgradeFeature upgrade, DirectConnection connection, TimeSpan keepAliveInterval, Ticker ticker)
        : IHttpWebSocketFeature
    {
        public bool IsWebSocketRequest => true;

        public async Task<WebSocket> AcceptAsync(WebSocketAcceptContext acceptContext)
        {
            if (acceptContext.DangerousEnableCompression) return await inner.AcceptAsync(acceptContext).ConfigureAwait(false);
            var headers = context.Response.Headers;
            // ASP.NET Core's middleware has validated the request (GET, version 13, a well-formed key).
            var key = context.Request.Headers[HeaderNames.SecWebSocketKey].ToString();
            headers[HeaderNames.Connection] = "Upgrade";
            headers[HeaderNames.Upgrade] = "websocket";
            headers[HeaderNames.SecWebSocketAccept] = AcceptKey(key);
            if (!string.IsNullOrEmpty(acceptContext.SubProtocol)) headers[HeaderNames.SecWebSocketProtocol] = acceptContext.SubProtocol;
            await connection.StopReadingAsync().ConfigureAwait(false);
            await upgrade.UpgradeAsync().ConfigureAwait(false); // sends the 101
            var watch = await connection.DetachAsync().ConfigureAwait(false);
            return new DirectWebSocket(watch, acceptContext.SubProtocol, acceptContext.KeepAliveInterval ?? keepAliveInterval, ticker);
        }
    }
}
