using Microsoft.AspNetCore.Http;

namespace Vaani.Gateway.Compat;

/// <summary>
/// Reads the API key of a compatible-API request: <c>Authorization: Token &lt;key&gt;</c> (Deepgram),
/// <c>Authorization: Bearer &lt;key&gt;</c> (OpenAI, Deepgram access tokens) or the WebSocket
/// sub-protocol pair <c>token, &lt;key&gt;</c> that browsers use. Keys are not checked yet: any key is
/// accepted until keys come from the control plane, but a malformed header is refused.
/// </summary>
public static class CompatAuth
{
    /// <summary>The parsed credential, or null when the request carries none.</summary>
    public sealed record Credential(string Scheme, string Key);

    /// <summary>Parses the credential; throws <see cref="FormatException"/> when a header is present but malformed.</summary>
    public static Credential? Parse(HttpContext ctx)
    {
        var header = ctx.Request.Headers.Authorization.ToString();
        if (!string.IsNullOrWhiteSpace(header))
        {
            var parts = header.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !(parts[0].Equals("token", StringComparison.OrdinalIgnoreCase) || parts[0].Equals("bearer", StringComparison.OrdinalIgnoreCase)))
                throw new FormatException("the Authorization header must be 'Token <key>' or 'Bearer <key>'");
            return new Credential(parts[0].ToLowerInvariant(), parts[1]);
        }
        var protocols = ctx.WebSockets.WebSocketRequestedProtocols;
        int i = protocols.ToList().FindIndex(p => p.Equals("token", StringComparison.OrdinalIgnoreCase) || p.Equals("bearer", StringComparison.OrdinalIgnoreCase));
        if (i >= 0 && i + 1 < protocols.Count) return new Credential(protocols[i].ToLowerInvariant(), protocols[i + 1]);
        return null;
    }

    /// <summary>The sub-protocol to echo when the key came in one (browsers require the echo).</summary>
    public static string? SubProtocol(HttpContext ctx) =>
        ctx.WebSockets.WebSocketRequestedProtocols.FirstOrDefault(p => p.Equals("token", StringComparison.OrdinalIgnoreCase) || p.Equals("bearer", StringComparison.OrdinalIgnoreCase));
}
