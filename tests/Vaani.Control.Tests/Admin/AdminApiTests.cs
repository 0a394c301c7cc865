using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vaani.Control.Admin;
using Vaani.Control.Domain;
using Vaani.Control.Snapshots;
using Vaani.Control.Store;
using Vaani.Control.Tests.Support;
using Vaani.Control.Usage;

namespace Vaani.Control.Tests.Admin;

/// <summary>The admin API on real Kestrel (127.0.0.1:0), driven by a real HttpClient.</summary>
public sealed class AdminApiTests : IAsyncLifetime
{
    private readonly string _dir = TestData.TempDir();
    private SqliteControlStore _store = null!;
    private ControlService _service = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private Uri _base = null!;
    private string _rootSecret = null!;

    public async Task InitializeAsync()
    {
        _store = await SqliteControlStore.OpenAsync(Path.Combine(_dir, "c.db"));
        _service = new ControlService(_store);
        _rootSecret = (await _service.BootstrapAsync())!.Secret;
        (_app, _http) = await StartAsync(_service, limits: null);
        _base = _http.BaseAddress!;
    }

    /// <summary>The admin API of <paramref name="service"/> on its own Kestrel, and a client for it.</summary>
    private static async Task<(WebApplication App, HttpClient Http)> StartAsync(ControlService service, AdminRateLimits? limits)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapControlAdminApi(service, limits: limits);
        await app.StartAsync();
        var baseUri = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return (app, new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) });
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string? secret, object? body = null, string? idempotencyKey = null)
    {
        var (status, json, _) = await SendAsync(_http, method, path, secret, body, idempotencyKey);
        return (status, json);
    }

    private static string ErrorCode(JsonElement body) => body.GetProperty("error").GetProperty("code").GetString()!;

    [Fact]
    public async Task Tenants_CreateThenGet_Roundtrip()
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "admin/v1/tenants", _rootSecret, new { id = "acme", name = "Acme" });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("acme", body.GetProperty("id").GetString());
        (status, body) = await SendAsync(HttpMethod.Get, "admin/v1/tenants/acme", _rootSecret);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.GetProperty("disabled").GetBoolean());
    }

    [Fact]
    public async Task AnyEndpoint_NoAuthorization_401MissingCredentials()
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "admin/v1/tenants", null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("missing_credentials", ErrorCode(body));
    }

    [Fact]
    public async Task CreateTenant_BadJsonAndBadId_400InvalidRequest()
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "admin/v1/tenants", _rootSecret, "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", ErrorCode(body));
        (status, body) = await SendAsync(HttpMethod.Post, "admin/v1/tenants", _rootSecret, new { id = "Bad Id!", name = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Tenant id", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task TenantAdmin_OtherTenantOverHttp_403Forbidden()
    {
        await SendAsync(HttpMethod.Post, "admin/v1/tenants", _rootSecret, new { id = "a", name = "A" });
        await SendAsync(HttpMethod.Post, "admin/v1/tenants", _rootSecret, new { id = "b", name = "B" });
        var (_, created) = await SendAsync(HttpMethod.Post, "admin/v1/tenants/a/keys", _rootSecret, new { name = "a-admin", scopes = new[] { "admin" } });
        var aSecret = created.GetProperty("secret").GetString()!;
        var (status, body) = await SendAsync(HttpMethod.Get, "admin/v1/tenants/b/keys", aSecret);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("forbidden", ErrorCode(body));
        (status, body) = await SendAsync(HttpMethod.Put, "admin/v1/tenants/b/quotas", aSecret, new TenantQuotas { MaxConcurrentStt = 1 });
        Assert.Equal(HttpStatusCode.Forbidden, status);
        (status, _) = await SendAsync(HttpMethod.Get, "admin/v1/tenants/a/keys", aSecret);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task CreateKey_IdempotencyKeyRetriedAndMisused_ReplayThen422()
    {
        await SendAsync(HttpMethod.Post, "admin/v1/tenants", _rootSecret, new { id = "acme", name = "Acme" });
        var (s1, first) = await SendAsync(HttpMethod.Post, "admin/v1/tenants/acme/keys", _rootSecret, new { name = "k", scopes = new[] { "stt" } }, "idem-1");
        var (s2, second) = await SendAsync(HttpMethod.Post, "admin/v1/tenants/acme/keys", _rootSecret, new { name = "k", scopes = new[] { "stt" } }, "idem-1");
        Assert.Equal(HttpStatusCode.Created, s1);
        Assert.Equal(HttpStatusCode.Created, s2);
        Assert.Equal(first.GetProperty("secret").GetString(), second.GetProperty("secret").GetString());
        var (s3, conflict) = await SendAsync(HttpMethod.Post, "admin/v1/tenants/acme/keys", _rootSecret, new { name = "other", scopes = new[] { "stt" } }, "idem-1");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, s3);
        Assert.Equal("idempotency_conflict", ErrorCode(conflict));
    }

    [Fact]
    public async Task RevokeKey_OverHttp_KeyNoLongerAuthenticates()
    {
        await SendAsync(HttpMethod.Post, "admin/v1/tenants", _rootSecret, new { id = "acme", name = "Acme" });
        var (_, created) = await SendAsync(HttpMethod.Post, "admin/v1/tenants/acme/keys", _rootSecret, new { name = "adm", scopes = new[] { "admin" } });
        var id = created.GetProperty("key").GetProperty("id").GetString();
        var (status, revoked) = await SendAsync(HttpMethod.Post, $"admin/v1/tenants/acme/keys/{id}/revoke", _rootSecret);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(revoked.TryGetProperty("revoked_at", out _));
        var (s2, body) = await SendAsync(HttpMethod.Get, "admin/v1/tenants/acme", created.GetProperty("secret").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, s2);
        Assert.Equal("revoked_key", ErrorCode(body));
    }

    [Fact]
    public async Task SnapshotAndUsageOverHttp_LoaderAndSink_RoundTrip()
    {
        await SendAsync(HttpMethod.Post, "admin/v1/tenants", _rootSecret, new { id = "acme", name = "Acme" });
        await SendAsync(HttpMethod.Put, "admin/v1/tenants/acme/quotas", _rootSecret, new TenantQuotas { MaxConcurrentStt = 2, AudioSecondsPerDay = 3600 });
        var routes = new RouteTable([new Route(UsageKind.Stt, "hi", "default", "hi-pool", [new("v1", 100)], [])]);
        var (rs, _) = await SendAsync(HttpMethod.Put, "admin/v1/routes", _rootSecret, routes);
        Assert.Equal(HttpStatusCode.OK, rs);
        var (_, created) = await SendAsync(HttpMethod.Post, "admin/v1/tenants/acme/keys", _rootSecret, new { name = "stt", scopes = new[] { "stt" } });

        var sink = new HttpUsageSink(_http, _base, _rootSecret);
        var delivered = await sink.DeliverAsync([TestData.Usage("h1", "acme", UsageKind.Stt, 90, at: DateTimeOffset.UtcNow)], CancellationToken.None);
        Assert.Equal(new UsageEventsResponse(1, 0), delivered);
        Assert.Equal(new UsageEventsResponse(0, 1), await sink.DeliverAsync([TestData.Usage("h1", "acme", UsageKind.Stt, 90, at: DateTimeOffset.UtcNow)], CancellationToken.None));

        var snapshot = await new HttpSnapshotLoader(_http, _base, _rootSecret).LoadAsync(CancellationToken.None);
        Assert.Equal(await _store.GetControlVersionAsync(), snapshot.Version);
        var keyId = new ApiKeyId(created.GetProperty("key").GetProperty("id").GetString()!);
        Assert.Equal(ApiKeyScopes.Stt, snapshot.Keys[keyId].Scopes);
        Assert.Equal(2, snapshot.Quotas[new TenantId("acme")].MaxConcurrentStt);
        Assert.Equal("hi-pool", Assert.Single(snapshot.Routes.Routes).Pool);
        Assert.Equal(90, snapshot.Usage[new TenantId("acme")].AudioSecondsDay, 6);

        // The loaded snapshot authenticates the new key on a data-plane node.
        var auth = new Vaani.Control.Auth.KeyAuthenticator().Authenticate("Token " + created.GetProperty("secret").GetString(), "stt",
            snapshot with { ConfirmedAt = DateTimeOffset.UtcNow });
        Assert.True(auth.Succeeded, auth.Message);
    }

    [Fact]
    public async Task Body_ChunkedOverTheLimit_RefusedWithInvalidRequest()
    {
        // No Content-Length: the limit is enforced while reading.
        using var request = new HttpRequestMessage(HttpMethod.Post, "admin/v1/tenants");
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", _rootSecret);
        request.Headers.TransferEncodingChunked = true;
        var json = "{\"id\":\"acme\",\"name\":\"" + new string('x', (int)AdminEndpoints.MaxBodyBytes) + "\"}";
        request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("invalid_request", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains($"exceeds {AdminEndpoints.MaxBodyBytes} bytes", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EdgeKey_ReadsSnapshotAndDeliversUsage_AndNothingElse()
    {
        var (status, created) = await SendAsync(HttpMethod.Post, "admin/v1/tenants/default/keys", _rootSecret, new { name = "gateway-1", scopes = new[] { "edge" } });
        Assert.Equal(HttpStatusCode.Created, status);
        var edge = created.GetProperty("secret").GetString()!;
        await SendAsync(HttpMethod.Post, "admin/v1/tenants", _rootSecret, new { id = "acme", name = "Acme" });

        // What a gateway node needs.
        var snapshot = await new HttpSnapshotLoader(_http, _base, edge).LoadAsync(CancellationToken.None);
        Assert.Equal(await _store.GetControlVersionAsync(), snapshot.Version);
        Assert.Contains(new TenantId("acme"), snapshot.Tenants.Keys);
        var sink = new HttpUsageSink(_http, _base, edge);
        Assert.Equal(new UsageEventsResponse(1, 0), await sink.DeliverAsync([TestData.Usage("e1", "acme", UsageKind.Stt, 5, at: DateTimeOffset.UtcNow)], CancellationToken.None));

        // Nothing an administrator does.
        var (listStatus, listBody) = await SendAsync(HttpMethod.Get, "admin/v1/tenants", edge);
        Assert.Equal(HttpStatusCode.Forbidden, listStatus);
        Assert.Equal("insufficient_scope", listBody.GetProperty("error").GetProperty("code").GetString());
        var (createStatus, _) = await SendAsync(HttpMethod.Post, "admin/v1/tenants/default/keys", edge, new { name = "escalate", scopes = new[] { "admin" } });
        Assert.Equal(HttpStatusCode.Forbidden, createStatus);
    }

    [Fact]
    public async Task EdgeScope_OnAKeyOfAnotherTenant_Refused()
    {
        await SendAsync(HttpMethod.Post, "admin/v1/tenants", _rootSecret, new { id = "acme", name = "Acme" });
        var (status, body) = await SendAsync(HttpMethod.Post, "admin/v1/tenants/acme/keys", _rootSecret, new { name = "sneaky", scopes = new[] { "edge" } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("edge scope", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        // A tenant's own admin key still may not read the installation's snapshot.
        var (_, admin) = await SendAsync(HttpMethod.Post, "admin/v1/tenants/acme/keys", _rootSecret, new { name = "acme-admin", scopes = new[] { "admin" } });
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() =>
            new HttpSnapshotLoader(_http, _base, admin.GetProperty("secret").GetString()!).LoadAsync(CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Usage_QueryByMonth_ReturnsBuckets()
    {
        await SendAsync(HttpMethod.Post, "admin/v1/tenants", _rootSecret, new { id = "acme", name = "Acme" });
        await _store.InsertUsageAsync(TestData.Usage("m1", "acme", UsageKind.Tts, chars: 1234, at: new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero)));
        var (status, body) = await SendAsync(HttpMethod.Get, "admin/v1/tenants/acme/usage?period=month&from=2026-01-01&to=2026-12-31", _rootSecret);
        Assert.Equal(HttpStatusCode.OK, status);
        var bucket = Assert.Single(body.GetProperty("buckets").EnumerateArray());
        Assert.Equal("2026-03", bucket.GetProperty("bucket").GetString());
        Assert.Equal(1234, bucket.GetProperty("characters").GetInt64());
        var (bad, err) = await SendAsync(HttpMethod.Get, "admin/v1/tenants/acme/usage?period=week", _rootSecret);
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Contains("period 'week'", err.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Key_OverItsBurst_429RateLimitedWithRetryAfter_OtherKeysAndLaterRequestsPass()
    {
        var (app, http) = await StartAsync(_service, new AdminRateLimits { KeyRequestsPerSecond = 1, KeyBurst = 3 });
        await using var _ = app;
        using var __ = http;
        // One of the root key's 3 tokens: a second admin key, with a bucket of its own.
        var (_, created, _) = await SendAsync(http, HttpMethod.Post, "admin/v1/tenants/default/keys", _rootSecret, new { name = "ops", scopes = new[] { "admin" } });
        var other = created.GetProperty("secret").GetString()!;

        var statuses = new List<HttpStatusCode>();
        string? retryAfter = null;
        for (int i = 0; i < 4; i++)
        {
            var (status, body, wait) = await SendAsync(http, HttpMethod.Get, "admin/v1/tenants", _rootSecret);
            statuses.Add(status);
            if (status == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("rate_limited", ErrorCode(body));
                retryAfter = wait;
            }
        }
        // Tokens come back one a second, so a slow box may earn one more 200 in between.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], statuses.Take(2));
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.True(int.TryParse(retryAfter, out var seconds) && seconds >= 1, $"Retry-After was '{retryAfter}'");

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, "admin/v1/tenants", other)).Status);
        await Task.Delay(TimeSpan.FromSeconds(seconds) + TimeSpan.FromMilliseconds(200));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, "admin/v1/tenants", _rootSecret)).Status);
    }

    [Fact]
    public async Task Address_OverItsBurst_429BeforeAnyKeyIsLookedUp()
    {
        var (app, http) = await StartAsync(_service, new AdminRateLimits { AddressRequestsPerSecond = 1, AddressBurst = 3 });
        await using var _ = app;
        using var __ = http;
        for (int i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, HttpMethod.Get, "admin/v1/tenants", "vk_made_up_secret")).Status);
        // The address's bucket is empty: refused before the key is read, valid key or not.
        var (status, body, wait) = await SendAsync(http, HttpMethod.Get, "admin/v1/tenants", _rootSecret);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("rate_limited", ErrorCode(body));
        Assert.NotNull(wait);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body, string? RetryAfter)> SendAsync(HttpClient http, HttpMethod method, string path, string? secret,
        object? body = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (secret is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Token", secret);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (body is string raw) request.Content = new StringContent(raw, Encoding.UTF8, "application/json");
        else if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: ControlJson.Options);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var retryAfter = response.Headers.RetryAfter?.Delta is { } delta ? ((int)delta.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), retryAfter);
    }
}
