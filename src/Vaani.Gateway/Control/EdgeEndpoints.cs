using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vaani.Control.Auth;
using Vaani.Control.Domain;
using Vaani.Gateway.Http;

namespace Vaani.Gateway.Control;

/// <summary>
/// Gateway endpoints and headers that exist only with a control plane:
/// <c>POST /v1/auth/token</c> (short-lived browser tokens) and the <c>X-Vaani-Snapshot-Age</c>
/// response header (seconds since control state was last confirmed).
/// </summary>
public static class EdgeEndpoints
{
    /// <summary>Response header with the age of the node's control snapshot, in whole seconds.</summary>
    public const string SnapshotAgeHeader = "X-Vaani-Snapshot-Age";

    /// <summary>Token lifetime when the request does not name one.</summary>
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Adds the snapshot-age header to every response.</summary>
    public static void UseSnapshotAgeHeader(this IApplicationBuilder app, EdgeControl control) => app.Use((ctx, next) =>
    {
        ctx.Response.OnStarting(() =>
        {
            ctx.Response.Headers[SnapshotAgeHeader] = control.SnapshotAgeSeconds is { } age
                ? ((long)age).ToString(CultureInfo.InvariantCulture)
                : "none";
            return Task.CompletedTask;
        });
        return next(ctx);
    });

    /// <summary>
    /// <c>POST /v1/auth/token</c> with <c>Authorization: Token &lt;key&gt;</c> and an optional JSON body
    /// <c>{"scopes":["stt","tts"],"ttl_seconds":600}</c> → <c>{"token","expires_at","scopes"}</c>.
    /// The token's scopes are the requested ones (default stt and tts) narrowed to the key's; admin is
    /// never granted; the lifetime is 60–3600 s. A token cannot be used to issue another token.
    /// </summary>
    public static void MapTokenEndpoint(this WebApplication app, EdgeControl control, ControlSessionGuard guard)
    {
        app.MapPost("/v1/auth/token", async (HttpContext ctx) =>
        {
            var (principal, refused, _) = guard.Authenticate(ctx, ApiKeyScopes.None);
            if (principal is null) return refused!.ToResult();
            if (principal.ViaToken)
                return ApiErrors.Error(StatusCodes.Status403Forbidden, "insufficient_scope", "A short-lived token cannot issue tokens; use an API key.");

            TokenRequest request;
            try
            {
                request = ctx.Request.ContentLength is 0 || (ctx.Request.ContentLength is null && !ctx.Request.HasJsonContentType())
                    ? new TokenRequest(null, null)
                    : await ctx.Request.ReadFromJsonAsync<TokenRequest>(Vaani.Control.ControlJson.Options, ctx.RequestAborted) ?? new TokenRequest(null, null);
            }
            catch (JsonException ex)
            {
                return ApiErrors.BadRequest("invalid_request", $"the body must be {{\"scopes\":[\"stt\",\"tts\"],\"ttl_seconds\":600}}: {ex.Message}");
            }

            ApiKeyScopes requested;
            try { requested = request.Scopes is null ? ApiKeyScopes.Stt | ApiKeyScopes.Tts : ApiKeyScopeNames.Parse(request.Scopes); }
            catch (ControlException ex) { return ApiErrors.BadRequest("invalid_scopes", ex.Message); }
            var scopes = requested & principal.Scopes & (ApiKeyScopes.Stt | ApiKeyScopes.Tts);
            if (scopes == ApiKeyScopes.None)
                return ApiErrors.Error(StatusCodes.Status403Forbidden, "insufficient_scope",
                    $"API key {principal.KeyId} has none of the requested scopes ({string.Join(",", ApiKeyScopeNames.ToNames(requested))}); tokens carry stt and/or tts only.");
            var lifetime = request.TtlSeconds is { } ttl ? TimeSpan.FromSeconds(ttl) : DefaultTokenLifetime;
            if (lifetime < TokenIssuer.MinLifetime || lifetime > TokenIssuer.MaxLifetime)
                return ApiErrors.BadRequest("invalid_ttl_seconds", $"ttl_seconds must be from {TokenIssuer.MinLifetime.TotalSeconds:0} to {TokenIssuer.MaxLifetime.TotalSeconds:0}");
            var token = control.Tokens.Issue(principal.Tenant, principal.KeyId, scopes, lifetime);
            var expires = DateTimeOffset.FromUnixTimeSeconds((control.Time.GetUtcNow() + lifetime).ToUnixTimeSeconds());
            return Results.Json(new { token, expires_at = expires, scopes = ApiKeyScopeNames.ToNames(scopes) });
        });
    }

    private sealed record TokenRequest(IReadOnlyList<string>? Scopes, int? TtlSeconds);
}
