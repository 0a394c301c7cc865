using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Vaani.Control.Auth;
using Vaani.Control.Domain;

namespace Vaani.Control.Admin;

/// <summary>
/// The admin HTTP API under <c>/admin/v1</c>. JSON bodies use snake_case; errors are
/// <c>{"error":{"code":"…","message":"…"}}</c>; every call needs <c>Authorization: Token|Bearer &lt;admin key&gt;</c>
/// (the snapshot and usage delivery also take a key with the edge scope);
/// mutating calls honour an <c>Idempotency-Key</c> header.
/// </summary>
public static class AdminEndpoints
{
    /// <summary>Largest accepted request body.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>
    /// Maps the admin API:
    /// <c>POST/GET /tenants</c>, <c>GET /tenants/{tenant}</c>, <c>PUT /tenants/{tenant}/state</c>,
    /// <c>POST/GET /tenants/{tenant}/keys</c>, <c>POST /tenants/{tenant}/keys/{key}/revoke</c>,
    /// <c>PUT/GET /tenants/{tenant}/quotas</c>, <c>PUT/GET /routes</c>,
    /// <c>GET /tenants/{tenant}/usage?period=day|month&amp;from=YYYY-MM-DD&amp;to=YYYY-MM-DD</c>,
    /// <c>POST /usage/events</c> (data-plane delivery) and <c>GET /snapshot</c> (data-plane snapshot).
    /// Callers are held to <paramref name="limits"/> (default <see cref="AdminRateLimits.Default"/>).
    /// </summary>
    public static RouteGroupBuilder MapControlAdminApi(this IEndpointRouteBuilder endpoints, ControlService service, string prefix = "/admin/v1", AdminRateLimits? limits = null)
    {
        var group = endpoints.MapGroup(prefix);
        var limiter = new AdminRateLimiter(limits ?? AdminRateLimits.Default);
        endpoints.ServiceProvider.GetService<IHostApplicationLifetime>()?.ApplicationStopped.Register(limiter.Dispose);

        group.MapPost("/tenants", ctx => Run(ctx, service, limiter, async (caller, ct) =>
        {
            var body = await ReadBodyAsync<CreateTenantRequest>(ctx, ct);
            return (201, await service.CreateTenantAsync(caller, body, IdempotencyKey(ctx), ct));
        }));
        group.MapGet("/tenants", ctx => Run(ctx, service, limiter, async (caller, ct) => (200, (object)new { tenants = await service.ListTenantsAsync(caller, ct) })));
        group.MapGet("/tenants/{tenant}", ctx => Run(ctx, service, limiter, async (caller, ct) => (200, (object)await service.GetTenantAsync(caller, Tenant(ctx), ct))));
        group.MapPut("/tenants/{tenant}/state", ctx => Run(ctx, service, limiter, async (caller, ct) =>
        {
            var body = await ReadBodyAsync<SetTenantStateRequest>(ctx, ct);
            return (200, (object)await service.SetTenantDisabledAsync(caller, Tenant(ctx), body.Disabled, IdempotencyKey(ctx), ct));
        }));

        group.MapPost("/tenants/{tenant}/keys", ctx => Run(ctx, service, limiter, async (caller, ct) =>
        {
            var body = await ReadBodyAsync<CreateKeyRequest>(ctx, ct);
            return (201, (object)await service.CreateKeyAsync(caller, Tenant(ctx), body, IdempotencyKey(ctx), ct));
        }));
        group.MapGet("/tenants/{tenant}/keys", ctx => Run(ctx, service, limiter, async (caller, ct) => (200, (object)new { keys = await service.ListKeysAsync(caller, Tenant(ctx), ct) })));
        group.MapPost("/tenants/{tenant}/keys/{key}/revoke", ctx => Run(ctx, service, limiter, async (caller, ct) =>
            (200, (object)await service.RevokeKeyAsync(caller, Tenant(ctx), new ApiKeyId((string)ctx.Request.RouteValues["key"]!), IdempotencyKey(ctx), ct))));

        group.MapPut("/tenants/{tenant}/quotas", ctx => Run(ctx, service, limiter, async (caller, ct) =>
        {
            var body = await ReadBodyAsync<TenantQuotas>(ctx, ct);
            return (200, (object)await service.SetQuotasAsync(caller, Tenant(ctx), body, IdempotencyKey(ctx), ct));
        }));
        group.MapGet("/tenants/{tenant}/quotas", ctx => Run(ctx, service, limiter, async (caller, ct) => (200, (object)await service.GetQuotasAsync(caller, Tenant(ctx), ct))));

        group.MapPut("/routes", ctx => Run(ctx, service, limiter, async (caller, ct) =>
        {
            var body = await ReadBodyAsync<RouteTable>(ctx, ct);
            return (200, (object)await service.SetRoutesAsync(caller, body, IdempotencyKey(ctx), ct));
        }));
        group.MapGet("/routes", ctx => Run(ctx, service, limiter, async (caller, ct) => (200, (object)await service.GetRoutesAsync(caller, ct))));

        group.MapGet("/tenants/{tenant}/usage", ctx => Run(ctx, service, limiter, async (caller, ct) =>
        {
            var q = ctx.Request.Query;
            var period = q["period"].ToString() switch
            {
                "" or "day" => UsagePeriod.Day,
                "month" => UsagePeriod.Month,
                var other => throw new ControlException(ControlErrorCode.InvalidRequest, $"period '{other}' is invalid: expected day or month."),
            };
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            var from = ParseDate(q["from"].ToString(), "from") ?? new DateOnly(today.Year, today.Month, 1);
            var to = ParseDate(q["to"].ToString(), "to") ?? today;
            return (200, (object)await service.QueryUsageAsync(caller, Tenant(ctx), period, from, to, ct));
        }));
        // Data-plane calls: a root key or an edge key (checked by the service).
        group.MapPost("/usage/events", ctx => Run(ctx, service, limiter, async (caller, ct) =>
        {
            var body = await ReadBodyAsync<UsageEventsRequest>(ctx, ct, maxBytes: 16 * MaxBodyBytes);
            return (200, (object)await service.RecordUsageAsync(caller, body.Events, ct));
        }, ApiKeyScopes.None));
        group.MapGet("/snapshot", ctx => Run(ctx, service, limiter, async (caller, ct) => (200, (object)await service.GetSnapshotAsync(caller, ct)), ApiKeyScopes.None));

        return group;
    }

    private static async Task Run(HttpContext ctx, ControlService service, AdminRateLimiter limiter, Func<AuthenticatedKey, CancellationToken, Task<(int Status, object Body)>> handler,
        ApiKeyScopes requiredScope = ApiKeyScopes.Admin)
    {
        var ct = ctx.RequestAborted;
        if (limiter.ChargeAddress(ctx) is { } addressWait)
        {
            await AdminRateLimiter.RefuseAsync(ctx, addressWait, "address");
            return;
        }
        var auth = await service.AuthenticateAsync(ctx.Request.Headers.Authorization.ToString(), requiredScope, ct);
        if (!auth.Succeeded)
        {
            if (auth.Failure!.Value.HttpStatus() == 401) ctx.Response.Headers.WWWAuthenticate = "Token";
            await WriteErrorAsync(ctx, auth.Failure!.Value.HttpStatus(), auth.Failure.Value.ToWire(), auth.Message);
            return;
        }
        if (limiter.ChargeKey(ctx, auth.Principal!) is { } keyWait)
        {
            await AdminRateLimiter.RefuseAsync(ctx, keyWait, "key");
            return;
        }

        try
        {
            var (status, body) = await handler(auth.Principal!, ct);
            ctx.Response.StatusCode = status;
            await ctx.Response.WriteAsJsonAsync(body, body.GetType(), ControlJson.Options, ct);
        }
        catch (ControlException ex)
        {
            await WriteErrorAsync(ctx, StatusOf(ex.Code), ex.WireCode, ex.Message);
        }
    }

    private static int StatusOf(ControlErrorCode code) => code switch
    {
        ControlErrorCode.InvalidRequest => 400,
        ControlErrorCode.Unauthorized => 401,
        ControlErrorCode.Forbidden => 403,
        ControlErrorCode.NotFound => 404,
        ControlErrorCode.AlreadyExists => 409,
        ControlErrorCode.IdempotencyInProgress => 409,
        ControlErrorCode.IdempotencyConflict => 422,
        _ => 500,
    };

    /// <summary>Writes <c>{"error":{"code","message"}}</c>.</summary>
    public static Task WriteErrorAsync(HttpContext ctx, int status, string code, string message)
    {
        ctx.Response.StatusCode = status;
        return ctx.Response.WriteAsJsonAsync(new ErrorEnvelope(new ErrorBody(code, message)), ControlJson.Options);
    }

    private static async Task<T> ReadBodyAsync<T>(HttpContext ctx, CancellationToken ct, long maxBytes = MaxBodyBytes)
    {
        if (ctx.Request.ContentLength > maxBytes)
            throw new ControlException(ControlErrorCode.InvalidRequest, $"The body is {ctx.Request.ContentLength} bytes; at most {maxBytes} are accepted.");
        var (buffer, complete) = await BoundedRead.ReadAtMostAsync(ctx.Request.Body, maxBytes, ctx.Request.ContentLength, ct);
        using var owned = buffer;
        if (!complete)
            throw new ControlException(ControlErrorCode.InvalidRequest, $"The body exceeds {maxBytes} bytes.");

        if (buffer.Length == 0) throw new ControlException(ControlErrorCode.InvalidRequest, "A JSON body is required.");
        try
        {
            return JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), ControlJson.Options)
                ?? throw new ControlException(ControlErrorCode.InvalidRequest, "The JSON body must not be null.");
        }
        catch (JsonException ex)
        {
            throw new ControlException(ControlErrorCode.InvalidRequest, $"Invalid JSON body{(ex.Path is null ? "" : " at " + ex.Path)}: {ex.Message}");
        }
    }

    private static TenantId Tenant(HttpContext ctx) => new((string)ctx.Request.RouteValues["tenant"]!);

    private static string? IdempotencyKey(HttpContext ctx)
        => ctx.Request.Headers.TryGetValue("Idempotency-Key", out var v) && v.Count > 0 ? v.ToString() : null;

    private static DateOnly? ParseDate(string value, string name)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
        throw new ControlException(ControlErrorCode.InvalidRequest, $"{name} '{value}' is not a date (YYYY-MM-DD).");
    }

    private sealed record ErrorEnvelope(ErrorBody Error);

    private sealed record ErrorBody(string Code, string Message);
}
