using Vaani.Control.Domain;
using Vaani.Control.Store;
using Vaani.Control.Tests.Support;

namespace Vaani.Control.Tests.Store;

/// <summary>Behaviour every <see cref="IControlStore"/> must have; run against SQLite and PostgreSQL.</summary>
public abstract class ControlStoreContract
{
    /// <summary>A fresh store, or null when this backend is explicitly skipped.</summary>
    protected abstract Task<IControlStore?> OpenFreshAsync();

    [Fact]
    public async Task Open_Fresh_AppliesMigrationsAndStartsAtVersionZero()
    {
        await using var store = await OpenFreshAsync();
        if (store is null) return;
        Assert.Equal([1], await ((SqlControlStore)store).GetAppliedMigrationsAsync());
        Assert.Equal(0, await store.GetControlVersionAsync());
    }

    [Fact]
    public async Task Changes_EachMutation_BumpsControlVersion()
    {
        await using var store = await OpenFreshAsync();
        if (store is null) return;
        await store.CreateTenantAsync(TestData.Tenant("acme"));
        Assert.Equal(1, await store.GetControlVersionAsync());
        var (key, _) = TestData.Key("acme", ApiKeyScopes.Stt);
        await store.InsertApiKeyAsync(key);
        Assert.Equal(2, await store.GetControlVersionAsync());
        await store.SetQuotasAsync(new TenantId("acme"), new TenantQuotas { MaxConcurrentStt = 3 });
        Assert.Equal(3, await store.GetControlVersionAsync());
        await store.SetRoutesAsync(new RouteTable([new Route(UsageKind.Stt, "en", "default", "en-pool", [new("v1", 90), new("v2", 10)], ["en-backup"])]));
        Assert.Equal(4, await store.GetControlVersionAsync());
        Assert.True(await store.RevokeApiKeyAsync(key.Id, TestData.T0));
        Assert.Equal(5, await store.GetControlVersionAsync());
        // Revoking again changes nothing, so the version stays.
        Assert.True(await store.RevokeApiKeyAsync(key.Id, TestData.T0.AddHours(1)));
        Assert.Equal(5, await store.GetControlVersionAsync());
        // Usage is not control state: no bump.
        await store.InsertUsageAsync(TestData.Usage("e1", "acme", UsageKind.Stt, 1));
        Assert.Equal(5, await store.GetControlVersionAsync());
    }

    [Fact]
    public async Task CreateTenant_DuplicateId_ThrowsAlreadyExists()
    {
        await using var store = await OpenFreshAsync();
        if (store is null) return;
        await store.CreateTenantAsync(TestData.Tenant("acme"));
        var ex = await Assert.ThrowsAsync<ControlException>(() => store.CreateTenantAsync(TestData.Tenant("acme")));
        Assert.Equal(ControlErrorCode.AlreadyExists, ex.Code);
        Assert.Equal(1, await store.GetControlVersionAsync());
    }

    [Fact]
    public async Task ApiKeys_RoundTrip_PreservesAllFields()
    {
        await using var store = await OpenFreshAsync();
        if (store is null) return;
        await store.CreateTenantAsync(TestData.Tenant("acme"));
        var (key, _) = TestData.Key("acme", ApiKeyScopes.Stt | ApiKeyScopes.Admin, expires: TestData.T0.AddDays(30));
        await store.InsertApiKeyAsync(key);
        var loaded = await store.GetApiKeyAsync(key.Id);
        Assert.NotNull(loaded);
        Assert.Equal(key.Scopes, loaded.Scopes);
        Assert.Equal(key.ExpiresAt, loaded.ExpiresAt);
        Assert.Null(loaded.RevokedAt);
        Assert.Equal(key.SecretHash, loaded.SecretHash);
        Assert.Equal(key.Salt, loaded.Salt);
        Assert.Single(await store.ListApiKeysAsync(new TenantId("acme")));
        Assert.Empty(await store.ListApiKeysAsync(new TenantId("other")));
    }

    [Fact]
    public async Task InsertApiKey_UnknownTenant_ThrowsNotFound()
    {
        await using var store = await OpenFreshAsync();
        if (store is null) return;
        var ex = await Assert.ThrowsAsync<ControlException>(() => store.InsertApiKeyAsync(TestData.Key("ghost", ApiKeyScopes.Stt).Key));
        Assert.Equal(ControlErrorCode.NotFound, ex.Code);
    }

    [Fact]
    public async Task InsertUsage_SameEventIdTwice_CountedOnce()
    {
        await using var store = await OpenFreshAsync();
        if (store is null) return;
        Assert.True(await store.InsertUsageAsync(TestData.Usage("e1", "acme", UsageKind.Stt, 10)));
        Assert.False(await store.InsertUsageAsync(TestData.Usage("e1", "acme", UsageKind.Stt, 10)));
        var batch = new[] { TestData.Usage("e1", "acme", UsageKind.Stt, 10), TestData.Usage("e2", "acme", UsageKind.Stt, 5) };
        Assert.Equal(1, await store.InsertUsageBatchAsync(batch));
        var usage = await store.QueryUsageAsync(new TenantId("acme"), UsagePeriod.Day, new DateOnly(2026, 11, 22), new DateOnly(2026, 11, 22));
        var bucket = Assert.Single(usage);
        Assert.Equal(15, bucket.AudioSeconds, 6);
        Assert.Equal(2, bucket.Events);
    }

    [Fact]
    public async Task QueryUsage_ByDayAndMonth_GroupsByUtcBucketAndKind()
    {
        await using var store = await OpenFreshAsync();
        if (store is null) return;
        await store.InsertUsageBatchAsync(
        [
            TestData.Usage("a", "acme", UsageKind.Stt, 60, at: new DateTimeOffset(2026, 11, 1, 0, 30, 0, TimeSpan.Zero)),
            // 23:30 at UTC-2 is already Nov 2 in UTC.
            TestData.Usage("b", "acme", UsageKind.Stt, 30, at: new DateTimeOffset(2026, 11, 1, 23, 30, 0, TimeSpan.FromHours(-2))),
            TestData.Usage("c", "acme", UsageKind.Tts, chars: 500, at: new DateTimeOffset(2026, 11, 2, 12, 0, 0, TimeSpan.Zero)),
            TestData.Usage("d", "acme", UsageKind.Stt, 7, at: new DateTimeOffset(2026, 10, 31, 12, 0, 0, TimeSpan.Zero)),
            TestData.Usage("e", "other", UsageKind.Stt, 999, at: new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero)),
        ]);
        var days = await store.QueryUsageAsync(new TenantId("acme"), UsagePeriod.Day, new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 30));
        Assert.Equal(["2026-11-01/Stt/60", "2026-11-02/Stt/30", "2026-11-02/Tts/0"], days.Select(d => $"{d.Bucket}/{d.Kind}/{d.AudioSeconds}"));
        Assert.Equal(500, days[2].Characters);
        var months = await store.QueryUsageAsync(new TenantId("acme"), UsagePeriod.Month, new DateOnly(2026, 10, 1), new DateOnly(2026, 11, 1));
        Assert.Equal(["2026-10/Stt/7", "2026-11/Stt/90", "2026-11/Tts/0"], months.Select(d => $"{d.Bucket}/{d.Kind}/{d.AudioSeconds}"));
    }

    [Fact]
    public async Task Idempotency_ReserveCompleteReplay_ReturnsStoredRecord()
    {
        await using var store = await OpenFreshAsync();
        if (store is null) return;
        var t = new TenantId("acme");
        Assert.Null(await store.TryReserveIdempotencyAsync(t, "k1", "h1", TestData.T0));
        var inProgress = await store.TryReserveIdempotencyAsync(t, "k1", "h1", TestData.T0);
        Assert.NotNull(inProgress);
        Assert.Null(inProgress.ResponseJson);
        await store.CompleteIdempotencyAsync(t, "k1", 200, "{\"x\":1}");
        var done = await store.TryReserveIdempotencyAsync(t, "k1", "h2", TestData.T0);
        Assert.Equal("h1", done!.RequestHash);
        Assert.Equal("{\"x\":1}", done.ResponseJson);
        // Same key, other tenant: independent.
        Assert.Null(await store.TryReserveIdempotencyAsync(new TenantId("other"), "k1", "h9", TestData.T0));
        Assert.Equal(2, await store.PurgeIdempotencyAsync(TestData.T0.AddSeconds(1)));
    }

    [Fact]
    public async Task LoadSnapshot_WithState_HoldsKeysTenantsQuotasRoutesAndTodaysUsage()
    {
        await using var store = await OpenFreshAsync();
        if (store is null) return;
        await store.CreateTenantAsync(TestData.Tenant("acme"));
        var (key, _) = TestData.Key("acme", ApiKeyScopes.Tts);
        await store.InsertApiKeyAsync(key);
        await store.SetQuotasAsync(new TenantId("acme"), new TenantQuotas { TtsCharsPerDay = 1000 });
        await store.InsertUsageBatchAsync(
        [
            TestData.Usage("u1", "acme", UsageKind.Tts, chars: 100, at: TestData.T0),
            TestData.Usage("u2", "acme", UsageKind.Tts, chars: 50, at: TestData.T0.AddDays(-1)),
            TestData.Usage("u3", "acme", UsageKind.Stt, seconds: 12.5, at: TestData.T0),
        ]);
        var snap = await store.LoadSnapshotAsync(TestData.T0);
        Assert.Equal(3, snap.Version);
        Assert.Equal(key.SecretHash, snap.Keys[key.Id].SecretHash);
        Assert.Equal(1000, snap.Quotas[new TenantId("acme")].TtsCharsPerDay);
        var usage = snap.Usage[new TenantId("acme")];
        Assert.Equal(100, usage.TtsCharsDay);
        Assert.Equal(150, usage.TtsCharsMonth);
        Assert.Equal(12.5, usage.AudioSecondsDay, 6);
    }

    [Fact]
    public async Task InsertUsage_ManyConcurrentDuplicates_EachEventStoredOnce()
    {
        await using var store = await OpenFreshAsync();
        if (store is null) return;
        var events = Enumerable.Range(0, 40).Select(i => TestData.Usage("e" + i, "acme", UsageKind.Stt, 1)).ToArray();
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => store.InsertUsageBatchAsync(events))));
        Assert.Equal(40, results.Sum());
        var bucket = Assert.Single(await store.QueryUsageAsync(new TenantId("acme"), UsagePeriod.Day, new DateOnly(2026, 11, 22), new DateOnly(2026, 11, 22)));
        Assert.Equal(40, bucket.Events);
    }
}
