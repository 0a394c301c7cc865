using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Vaani.Control.Auth;
using Vaani.Control.Domain;
using Vaani.Control.Keys;
using Vaani.Control.Snapshots;
using Vaani.Control.Store;

namespace Vaani.Control.Admin;

/// <summary>Settings of <see cref="ControlService"/>.</summary>
public sealed record ControlServiceOptions
{
    /// <summary>How long idempotency records (and so replayable responses) are kept.</summary>
    public TimeSpan IdempotencyRetention { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Longest usage query range, in days.</summary>
    public int MaxUsageQueryDays { get; init; } = 400;

    /// <summary>Largest usage batch accepted in one call.</summary>
    public int MaxUsageBatch { get; init; } = 1000;
}

/// <summary>
/// The control plane's admin operations. Every call names its caller (an authenticated admin key)
/// and is checked for tenant isolation: an admin key may manage only its own tenant, except a
/// root key (admin scope on the <see cref="TenantId.Default"/> tenant), which may manage all
/// tenants and is the only one that may create/disable tenants, set quotas and routes, post usage
/// and read snapshots. Mutating calls accept an idempotency key: a retry with the same key and the
/// same request returns the original response; the same key with a different request fails with
/// <see cref="ControlErrorCode.IdempotencyConflict"/>.
/// </summary>
public sealed class ControlService
{
    private readonly IControlStore _store;
    private readonly TimeProvider _time;
    private readonly ControlServiceOptions _options;
    private readonly KeyAuthenticator _authenticator;

    public ControlService(IControlStore store, TimeProvider? time = null, ControlServiceOptions? options = null)
    {
        _store = store;
        _time = time ?? TimeProvider.System;
        _options = options ?? new ControlServiceOptions();
        _authenticator = new KeyAuthenticator(_time);
    }

    public IControlStore Store => _store;

    /// <summary>
    /// First start: creates the default tenant if missing and, when it has no usable admin key,
    /// a root key named "root". Returns the new key (shown once) or null when one already exists.
    /// </summary>
    public async Task<CreatedApiKey?> BootstrapAsync(CancellationToken ct = default)
    {
        if (await _store.GetTenantAsync(TenantId.Default, ct) is null)
        {
            try
            {
                await _store.CreateTenantAsync(new Tenant(TenantId.Default, "Default tenant", _time.GetUtcNow(), false), ct);
            }
            catch (ControlException ex) when (ex.Code == ControlErrorCode.AlreadyExists)
            {
                // Another node bootstrapped at the same moment.
            }
        }

        var now = _time.GetUtcNow();
        var keys = await _store.ListApiKeysAsync(TenantId.Default, ct);
        if (keys.Any(k => k.Scopes.HasFlag(ApiKeyScopes.Admin) && k.RevokedAt is null && (k.ExpiresAt is null || k.ExpiresAt > now)))
            return null;
        return await InsertKeyAsync(TenantId.Default, "root", ApiKeyScopes.Admin | ApiKeyScopes.Stt | ApiKeyScopes.Tts, null, ct);
    }

    /// <summary>
    /// Makes sure <paramref name="secret"/> (a <c>vaani_vk_…_…</c> secret chosen by the operator, e.g.
    /// from <c>VAANI_API_KEY</c>) exists as a root key of the default tenant, creating the tenant when
    /// missing. Returns true when the key was created, false when it already existed with this secret.
    /// Throws when the secret is malformed or its key id is taken by a different secret.
    /// </summary>
    public async Task<bool> EnsureRootKeyAsync(string secret, CancellationToken ct = default)
    {
        if (!ApiKeySecret.TryParse(secret, out var id))
            throw new ControlException(ControlErrorCode.InvalidRequest, "The key is not shaped like 'vaani_vk_<16 hex>_<43 base62>'; 'vaani admin keys generate' prints a fresh one.");
        if (await _store.GetTenantAsync(TenantId.Default, ct) is null)
        {
            try
            {
                await _store.CreateTenantAsync(new Tenant(TenantId.Default, "Default tenant", _time.GetUtcNow(), false), ct);
            }
            catch (ControlException ex) when (ex.Code == ControlErrorCode.AlreadyExists)
            {
                // Another node bootstrapped at the same moment.
            }
        }

        if (await _store.GetApiKeyAsync(id, ct) is { } existing)
        {
            if (existing.Tenant != TenantId.Default || !ApiKeySecret.Verify(secret, existing.Salt, existing.SecretHash))
                throw new ControlException(ControlErrorCode.AlreadyExists, $"API key id {id} already exists with a different secret.");
            if (existing.RevokedAt is not null)
                throw new ControlException(ControlErrorCode.Forbidden, $"API key {id} was revoked; choose a new key.");
            return false;
        }

        var salt = ApiKeySecret.NewSalt();
        await _store.InsertApiKeyAsync(new ApiKey(id, TenantId.Default, "root (configured)", ApiKeyScopes.Admin | ApiKeyScopes.Stt | ApiKeyScopes.Tts,
            _time.GetUtcNow(), null, null, ApiKeySecret.Hash(secret, salt), salt), ct);
        return true;
    }

    /// <summary>
    /// Authenticates an admin call from the store directly (the control node is not on the speech
    /// path, and a freshly created or revoked key must take effect at once here).
    /// </summary>
    /// <param name="requiredScope">Admin for the admin API; None where the operation checks the
    /// caller itself (the snapshot and usage delivery also take edge keys).</param>
    public async Task<AuthResult> AuthenticateAsync(string? authorizationHeader, ApiKeyScopes requiredScope = ApiKeyScopes.Admin, CancellationToken ct = default)
    {
        ControlSnapshot view;
        var credential = authorizationHeader?.Trim() ?? string.Empty;
        var space = credential.IndexOf(' ');
        if (space > 0 && ApiKeySecret.TryParse(credential[(space + 1)..].Trim(), out var id) && await _store.GetApiKeyAsync(id, ct) is { } key)
        {
            var tenant = await _store.GetTenantAsync(key.Tenant, ct);
            view = new ControlSnapshot
            {
                Version = 0,
                ConfirmedAt = _time.GetUtcNow(),
                Keys = new Dictionary<ApiKeyId, SnapshotKey> { [key.Id] = SnapshotKey.From(key) },
                Tenants = tenant is null ? new Dictionary<TenantId, Tenant>() : new Dictionary<TenantId, Tenant> { [tenant.Id] = tenant },
            };
        }
        else
        {
            view = ControlSnapshot.Empty with { Version = 0, ConfirmedAt = _time.GetUtcNow() };
        }

        return _authenticator.Authenticate(authorizationHeader, requiredScope, view);
    }

    public Task<Tenant> CreateTenantAsync(AuthenticatedKey caller, CreateTenantRequest request, string? idempotencyKey = null, CancellationToken ct = default)
    {
        RequireRoot(caller, "create tenants");
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
            throw new ControlException(ControlErrorCode.InvalidRequest, "name is required and must be at most 200 characters.");
        return IdempotentAsync(caller, "create_tenant", request, idempotencyKey, async () =>
        {
            var tenant = new Tenant(request.Id, request.Name.Trim(), _time.GetUtcNow(), false);
            await _store.CreateTenantAsync(tenant, ct);
            return tenant;
        }, ct);
    }

    public async Task<Tenant> GetTenantAsync(AuthenticatedKey caller, TenantId tenant, CancellationToken ct = default)
    {
        RequireTenant(caller, tenant);
        return await _store.GetTenantAsync(tenant, ct) ?? throw NotFound(tenant);
    }

    /// <summary>All tenants for a root key; only its own tenant otherwise.</summary>
    public async Task<IReadOnlyList<Tenant>> ListTenantsAsync(AuthenticatedKey caller, CancellationToken ct = default)
    {
        RequireAdmin(caller);
        if (caller.IsRoot) return await _store.ListTenantsAsync(ct);
        return await _store.GetTenantAsync(caller.Tenant, ct) is { } own ? [own] : [];
    }

    public Task<Tenant> SetTenantDisabledAsync(AuthenticatedKey caller, TenantId tenant, bool disabled, string? idempotencyKey = null, CancellationToken ct = default)
    {
        RequireRoot(caller, "disable or enable tenants");
        if (tenant == TenantId.Default && disabled)
            throw new ControlException(ControlErrorCode.InvalidRequest, "The default tenant holds the root keys and cannot be disabled.");
        return IdempotentAsync(caller, "set_tenant_state", new { tenant, disabled }, idempotencyKey, async () =>
        {
            if (!await _store.SetTenantDisabledAsync(tenant, disabled, ct)) throw NotFound(tenant);
            return (await _store.GetTenantAsync(tenant, ct))!;
        }, ct);
    }

    /// <summary>Creates a key; the response carries the secret, which is never shown again.</summary>
    public Task<CreatedApiKey> CreateKeyAsync(AuthenticatedKey caller, TenantId tenant, CreateKeyRequest request, string? idempotencyKey = null, CancellationToken ct = default)
    {
        RequireTenant(caller, tenant);
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
            throw new ControlException(ControlErrorCode.InvalidRequest, "name is required and must be at most 200 characters.");
        var scopes = ApiKeyScopeNames.Parse(request.Scopes ?? []);
        if (scopes == ApiKeyScopes.None)
            throw new ControlException(ControlErrorCode.InvalidRequest, "scopes must name at least one of stt, tts, admin, edge.");
        if (scopes.HasFlag(ApiKeyScopes.Edge) && tenant != TenantId.Default)
            throw new ControlException(ControlErrorCode.InvalidRequest, $"the edge scope is for data-plane nodes and only keys of tenant '{TenantId.Default}' may carry it, not keys of tenant '{tenant}'.");
        if (request.ExpiresAt is { } exp && exp <= _time.GetUtcNow())
            throw new ControlException(ControlErrorCode.InvalidRequest, $"expires_at {exp:O} is in the past.");
        return IdempotentAsync(caller, "create_key", new { tenant, request }, idempotencyKey,
            () => InsertKeyAsync(tenant, request.Name.Trim(), scopes, request.ExpiresAt, ct), ct);
    }

    public async Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(AuthenticatedKey caller, TenantId tenant, CancellationToken ct = default)
    {
        RequireTenant(caller, tenant);
        if (await _store.GetTenantAsync(tenant, ct) is null) throw NotFound(tenant);
        return (await _store.ListApiKeysAsync(tenant, ct)).Select(k => k.ToInfo()).ToList();
    }

    public Task<ApiKeyInfo> RevokeKeyAsync(AuthenticatedKey caller, TenantId tenant, ApiKeyId keyId, string? idempotencyKey = null, CancellationToken ct = default)
    {
        RequireTenant(caller, tenant);
        return IdempotentAsync(caller, "revoke_key", new { tenant, keyId }, idempotencyKey, async () =>
        {
            // A key of another tenant is reported as missing: its existence is not the caller's business.
            var key = await _store.GetApiKeyAsync(keyId, ct);
            if (key is null || key.Tenant != tenant)
                throw new ControlException(ControlErrorCode.NotFound, $"API key {keyId} does not exist in tenant {tenant}.");
            await _store.RevokeApiKeyAsync(keyId, _time.GetUtcNow(), ct);
            return (await _store.GetApiKeyAsync(keyId, ct))!.ToInfo();
        }, ct);
    }

    public Task<TenantQuotas> SetQuotasAsync(AuthenticatedKey caller, TenantId tenant, TenantQuotas quotas, string? idempotencyKey = null, CancellationToken ct = default)
    {
        RequireRoot(caller, "set quotas");
        quotas.Validate();
        return IdempotentAsync(caller, "set_quotas", new { tenant, quotas }, idempotencyKey, async () =>
        {
            await _store.SetQuotasAsync(tenant, quotas, ct);
            return quotas;
        }, ct);
    }

    public async Task<TenantQuotas> GetQuotasAsync(AuthenticatedKey caller, TenantId tenant, CancellationToken ct = default)
    {
        RequireTenant(caller, tenant);
        if (await _store.GetTenantAsync(tenant, ct) is null) throw NotFound(tenant);
        return await _store.GetQuotasAsync(tenant, ct) ?? TenantQuotas.Unlimited;
    }

    public Task<RouteTable> SetRoutesAsync(AuthenticatedKey caller, RouteTable routes, string? idempotencyKey = null, CancellationToken ct = default)
    {
        RequireRoot(caller, "set routes");
        routes.Validate();
        return IdempotentAsync(caller, "set_routes", routes, idempotencyKey, async () =>
        {
            await _store.SetRoutesAsync(routes, ct);
            return routes;
        }, ct);
    }

    public Task<RouteTable> GetRoutesAsync(AuthenticatedKey caller, CancellationToken ct = default)
    {
        RequireRoot(caller, "read routes");
        return _store.GetRoutesAsync(ct);
    }

    public async Task<UsageReport> QueryUsageAsync(AuthenticatedKey caller, TenantId tenant, UsagePeriod period, DateOnly from, DateOnly to, CancellationToken ct = default)
    {
        RequireTenant(caller, tenant);
        if (to < from) throw new ControlException(ControlErrorCode.InvalidRequest, $"to ({to:yyyy-MM-dd}) is before from ({from:yyyy-MM-dd}).");
        if (to.DayNumber - from.DayNumber > _options.MaxUsageQueryDays)
            throw new ControlException(ControlErrorCode.InvalidRequest, $"The range spans {to.DayNumber - from.DayNumber} days; at most {_options.MaxUsageQueryDays} are allowed.");
        var buckets = await _store.QueryUsageAsync(tenant, period, from, to, ct);
        return new UsageReport(tenant, period, from, to, buckets);
    }

    /// <summary>Records usage events delivered by a data-plane node (root or edge key; idempotent by event id).</summary>
    public async Task<UsageEventsResponse> RecordUsageAsync(AuthenticatedKey caller, IReadOnlyList<UsageEvent> events, CancellationToken ct = default)
    {
        RequireRootOrEdge(caller, "record usage");
        if (events.Count > _options.MaxUsageBatch)
            throw new ControlException(ControlErrorCode.InvalidRequest, $"The batch has {events.Count} events; at most {_options.MaxUsageBatch} are allowed.");
        var accepted = await _store.InsertUsageBatchAsync(events, ct);
        return new UsageEventsResponse(accepted, events.Count - accepted);
    }

    /// <summary>The full data-plane snapshot (root or edge key; it holds every tenant's key hashes).</summary>
    public Task<ControlSnapshot> GetSnapshotAsync(AuthenticatedKey caller, CancellationToken ct = default)
    {
        RequireRootOrEdge(caller, "read the control snapshot");
        return _store.LoadSnapshotAsync(_time.GetUtcNow(), ct);
    }

    /// <summary>Deletes idempotency records older than the retention; returns how many.</summary>
    public Task<int> PurgeIdempotencyAsync(CancellationToken ct = default)
        => _store.PurgeIdempotencyAsync(_time.GetUtcNow() - _options.IdempotencyRetention, ct);

    private async Task<CreatedApiKey> InsertKeyAsync(TenantId tenant, string name, ApiKeyScopes scopes, DateTimeOffset? expiresAt, CancellationToken ct)
    {
        var id = ApiKeyId.New();
        var secret = ApiKeySecret.Generate(id);
        var salt = ApiKeySecret.NewSalt();
        var key = new ApiKey(id, tenant, name, scopes, _time.GetUtcNow(), expiresAt, null, ApiKeySecret.Hash(secret, salt), salt);
        await _store.InsertApiKeyAsync(key, ct);
        return new CreatedApiKey(key.ToInfo(), secret);
    }

    private async Task<TResponse> IdempotentAsync<TRequest, TResponse>(AuthenticatedKey caller, string operation, TRequest request, string? idempotencyKey,
        Func<Task<TResponse>> execute, CancellationToken ct)
    {
        if (idempotencyKey is null) return await execute();
        if (idempotencyKey.Length is 0 or > 255)
            throw new ControlException(ControlErrorCode.InvalidRequest, "Idempotency-Key must be 1-255 characters.");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(operation + "\n" + JsonSerializer.Serialize(request, ControlJson.Options))));
        var existing = await _store.TryReserveIdempotencyAsync(caller.Tenant, idempotencyKey, hash, _time.GetUtcNow(), ct);
        if (existing is not null)
        {
            if (existing.RequestHash != hash)
                throw new ControlException(ControlErrorCode.IdempotencyConflict, $"Idempotency-Key '{idempotencyKey}' was already used with a different request.");
            if (existing.ResponseJson is null)
                throw new ControlException(ControlErrorCode.IdempotencyInProgress, $"A request with Idempotency-Key '{idempotencyKey}' is still being processed; retry later.");
            return JsonSerializer.Deserialize<TResponse>(existing.ResponseJson, ControlJson.Options)!;
        }

        TResponse response;
        try
        {
            response = await execute();
        }
        catch
        {
            // The operation did not happen: free the key so a corrected or later retry can run.
            await _store.ReleaseIdempotencyAsync(caller.Tenant, idempotencyKey, CancellationToken.None);
            throw;
        }

        await _store.CompleteIdempotencyAsync(caller.Tenant, idempotencyKey, 200, JsonSerializer.Serialize(response, ControlJson.Options), CancellationToken.None);
        return response;
    }

    private static void RequireAdmin(AuthenticatedKey caller)
    {
        if (!caller.Scopes.HasFlag(ApiKeyScopes.Admin))
            throw new ControlException(ControlErrorCode.Forbidden, $"API key {caller.KeyId} lacks the admin scope.");
    }

    private static void RequireRoot(AuthenticatedKey caller, string what)
    {
        RequireAdmin(caller);
        if (!caller.IsRoot)
            throw new ControlException(ControlErrorCode.Forbidden, $"Only a root admin key (admin scope on tenant '{TenantId.Default}') may {what}; API key {caller.KeyId} belongs to tenant {caller.Tenant}.");
    }

    /// <summary>A root admin key, or a default-tenant key with the edge scope (a data-plane node's credential).</summary>
    private static void RequireRootOrEdge(AuthenticatedKey caller, string what)
    {
        if (caller.Tenant == TenantId.Default && caller.Scopes.HasFlag(ApiKeyScopes.Edge) && !caller.ViaToken)
            return;
        if (!caller.Scopes.HasFlag(ApiKeyScopes.Admin))
            throw new ControlException(ControlErrorCode.Forbidden, $"API key {caller.KeyId} lacks the admin or edge scope needed to {what}.");
        RequireRoot(caller, what);
    }

    private static void RequireTenant(AuthenticatedKey caller, TenantId tenant)
    {
        RequireAdmin(caller);
        if (!caller.IsRoot && caller.Tenant != tenant)
            throw new ControlException(ControlErrorCode.Forbidden, $"API key {caller.KeyId} of tenant {caller.Tenant} may not manage tenant {tenant}.");
    }

    private static ControlException NotFound(TenantId tenant) => new(ControlErrorCode.NotFound, $"Tenant '{tenant}' does not exist.");
}
