using Vaani.Control.Admin;
using Vaani.Control.Auth;
using Vaani.Control.Domain;
using Vaani.Control.Store;
using Vaani.Control.Tests.Support;
using Vaani.Testing;

namespace Vaani.Control.Tests.Admin;

public sealed class ControlServiceTests : IAsyncLifetime
{
    private readonly string _dir = TestData.TempDir();
    private readonly FakeTimeProvider _time = new(TestData.T0);
    private SqliteControlStore _store = null!;
    private ControlService _service = null!;
    private AuthenticatedKey _root = null!;

    public async Task InitializeAsync()
    {
        _store = await SqliteControlStore.OpenAsync(Path.Combine(_dir, "c.db"), _time);
        _service = new ControlService(_store, _time);
        var created = await _service.BootstrapAsync();
        Assert.NotNull(created);
        _root = await AuthAsync(created.Secret);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<AuthenticatedKey> AuthAsync(string secret)
    {
        var result = await _service.AuthenticateAsync("Token " + secret);
        Assert.True(result.Succeeded, result.Message);
        return result.Principal!;
    }

    private async Task<AuthenticatedKey> TenantAdminAsync(string tenant)
    {
        await _service.CreateTenantAsync(_root, new CreateTenantRequest(new TenantId(tenant), tenant.ToUpperInvariant()));
        var key = await _service.CreateKeyAsync(_root, new TenantId(tenant), new CreateKeyRequest("admin", ["admin"]));
        return await AuthAsync(key.Secret);
    }

    [Fact]
    public async Task Bootstrap_SecondTime_ReturnsNull()
    {
        Assert.Null(await _service.BootstrapAsync());
        Assert.True(_root.IsRoot);
    }

    [Fact]
    public async Task CreateKey_SecretShownOnce_StoreHoldsOnlyHash()
    {
        var a = await TenantAdminAsync("a");
        var created = await _service.CreateKeyAsync(a, new TenantId("a"), new CreateKeyRequest("stt key", ["stt", "tts"]));
        var stored = await _store.GetApiKeyAsync(created.Key.Id);
        Assert.NotNull(stored);
        Assert.Equal(32, stored.SecretHash.Length);
        Assert.DoesNotContain(created.Secret, System.Text.Encoding.UTF8.GetString(stored.SecretHash), StringComparison.Ordinal);
        var listed = await _service.ListKeysAsync(a, new TenantId("a"));
        Assert.Equal(["stt", "tts"], listed.Single(k => k.Id == created.Key.Id).Scopes);
    }

    [Fact]
    public async Task TenantAdmin_OtherTenant_Forbidden()
    {
        var a = await TenantAdminAsync("a");
        var b = await TenantAdminAsync("b");
        var bTenant = new TenantId("b");
        var bKey = await _service.CreateKeyAsync(b, bTenant, new CreateKeyRequest("b-stt", ["stt"]));

        async Task AssertForbidden(Func<Task> call) => Assert.Equal(ControlErrorCode.Forbidden, (await Assert.ThrowsAsync<ControlException>(call)).Code);
        await AssertForbidden(() => _service.GetTenantAsync(a, bTenant));
        await AssertForbidden(() => _service.ListKeysAsync(a, bTenant));
        await AssertForbidden(() => _service.CreateKeyAsync(a, bTenant, new CreateKeyRequest("x", ["stt"])));
        await AssertForbidden(() => _service.RevokeKeyAsync(a, bTenant, bKey.Key.Id));
        await AssertForbidden(() => _service.GetQuotasAsync(a, bTenant));
        await AssertForbidden(() => _service.QueryUsageAsync(a, bTenant, UsagePeriod.Day, new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 2)));
        // Revoking B's key through A's own tenant path does not reveal or touch it.
        var ex = await Assert.ThrowsAsync<ControlException>(() => _service.RevokeKeyAsync(a, new TenantId("a"), bKey.Key.Id));
        Assert.Equal(ControlErrorCode.NotFound, ex.Code);
        Assert.Null((await _store.GetApiKeyAsync(bKey.Key.Id))!.RevokedAt);
        // A sees only itself.
        Assert.Equal([new TenantId("a")], (await _service.ListTenantsAsync(a)).Select(t => t.Id));
        Assert.Equal(3, (await _service.ListTenantsAsync(_root)).Count);
    }

    [Fact]
    public async Task TenantAdmin_RootOnlyOperations_Forbidden()
    {
        var a = await TenantAdminAsync("a");
        async Task AssertForbidden(Func<Task> call) => Assert.Equal(ControlErrorCode.Forbidden, (await Assert.ThrowsAsync<ControlException>(call)).Code);
        await AssertForbidden(() => _service.CreateTenantAsync(a, new CreateTenantRequest(new TenantId("c"), "C")));
        await AssertForbidden(() => _service.SetQuotasAsync(a, new TenantId("a"), new TenantQuotas { MaxConcurrentStt = 1000 }));
        await AssertForbidden(() => _service.SetRoutesAsync(a, RouteTable.Empty));
        await AssertForbidden(() => _service.GetSnapshotAsync(a));
        await AssertForbidden(() => _service.RecordUsageAsync(a, [TestData.Usage("x", "a", UsageKind.Stt, 1)]));
    }

    [Fact]
    public async Task NonAdminKey_Authenticate_InsufficientScope()
    {
        await TenantAdminAsync("a");
        var stt = await _service.CreateKeyAsync(_root, new TenantId("a"), new CreateKeyRequest("stt", ["stt"]));
        var result = await _service.AuthenticateAsync("Token " + stt.Secret);
        Assert.Equal(AuthFailureCode.InsufficientScope, result.Failure);
    }

    [Fact]
    public async Task RevokedAdminKey_Authenticate_RevokedImmediately()
    {
        var a = await TenantAdminAsync("a");
        var second = await _service.CreateKeyAsync(a, new TenantId("a"), new CreateKeyRequest("second", ["admin"]));
        await _service.RevokeKeyAsync(a, new TenantId("a"), second.Key.Id);
        Assert.Equal(AuthFailureCode.RevokedKey, (await _service.AuthenticateAsync("Token " + second.Secret)).Failure);
    }

    [Fact]
    public async Task CreateKey_RetriedWithSameIdempotencyKey_ReturnsOriginalResponse()
    {
        var a = await TenantAdminAsync("a");
        var request = new CreateKeyRequest("idem", ["stt"]);
        var first = await _service.CreateKeyAsync(a, new TenantId("a"), request, "req-1");
        var retry = await _service.CreateKeyAsync(a, new TenantId("a"), request with { Scopes = ["stt"] }, "req-1");
        Assert.Equal(first.Key.Id, retry.Key.Id);
        Assert.Equal(first.Secret, retry.Secret);
        Assert.Single(await _service.ListKeysAsync(a, new TenantId("a")), k => k.Name == "idem");
    }

    [Fact]
    public async Task CreateKey_SameIdempotencyKeyDifferentRequest_Conflict()
    {
        var a = await TenantAdminAsync("a");
        await _service.CreateKeyAsync(a, new TenantId("a"), new CreateKeyRequest("one", ["stt"]), "req-2");
        var ex = await Assert.ThrowsAsync<ControlException>(() => _service.CreateKeyAsync(a, new TenantId("a"), new CreateKeyRequest("two", ["stt"]), "req-2"));
        Assert.Equal(ControlErrorCode.IdempotencyConflict, ex.Code);
    }

    [Fact]
    public async Task CreateTenant_FailedThenRetried_ExecutesAgain()
    {
        // A failed call releases its idempotency key, so the retry is not stuck on the failure.
        await _service.CreateTenantAsync(_root, new CreateTenantRequest(new TenantId("dup"), "D"));
        var request = new CreateTenantRequest(new TenantId("dup"), "D");
        Assert.Equal(ControlErrorCode.AlreadyExists, (await Assert.ThrowsAsync<ControlException>(() => _service.CreateTenantAsync(_root, request, "k"))).Code);
        Assert.Equal(ControlErrorCode.AlreadyExists, (await Assert.ThrowsAsync<ControlException>(() => _service.CreateTenantAsync(_root, request, "k"))).Code);
    }

    [Fact]
    public async Task SetQuotas_Invalid_ListsEveryProblem()
    {
        await TenantAdminAsync("a");
        var ex = await Assert.ThrowsAsync<ControlException>(() => _service.SetQuotasAsync(_root, new TenantId("a"), new TenantQuotas { MaxConcurrentStt = -1, RequestsPerSecondPerKey = 0 }));
        Assert.Contains("max_concurrent_stt", ex.Message);
        Assert.Contains("requests_per_second_per_key", ex.Message);
    }

    [Fact]
    public async Task QueryUsage_AfterRecording_CountsDuplicatesOnce()
    {
        await TenantAdminAsync("a");
        var events = new[] { TestData.Usage("u1", "a", UsageKind.Stt, 30), TestData.Usage("u2", "a", UsageKind.Stt, 12) };
        Assert.Equal(new UsageEventsResponse(2, 0), await _service.RecordUsageAsync(_root, events));
        Assert.Equal(new UsageEventsResponse(0, 2), await _service.RecordUsageAsync(_root, events));
        var report = await _service.QueryUsageAsync(_root, new TenantId("a"), UsagePeriod.Month, new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 30));
        Assert.Equal(42, Assert.Single(report.Buckets).AudioSeconds, 6);
    }
}
