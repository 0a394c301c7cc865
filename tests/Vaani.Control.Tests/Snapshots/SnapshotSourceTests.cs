using Vaani.Control.Auth;
using Vaani.Control.Domain;
using Vaani.Control.Snapshots;
using Vaani.Control.Store;
using Vaani.Control.Tests.Support;
using Vaani.Testing;

namespace Vaani.Control.Tests.Snapshots;

public sealed class SnapshotSourceTests : IAsyncLifetime
{
    private readonly string _dir = TestData.TempDir();
    private readonly FakeTimeProvider _time = new(TestData.T0);
    private SqliteControlStore _store = null!;
    private FlakyLoader _loader = null!;
    private (ApiKey Key, string Secret) _key;

    public async Task InitializeAsync()
    {
        _store = await SqliteControlStore.OpenAsync(Path.Combine(_dir, "c.db"), _time);
        await _store.CreateTenantAsync(TestData.Tenant("acme"));
        _key = TestData.Key("acme", ApiKeyScopes.Stt);
        await _store.InsertApiKeyAsync(_key.Key);
        _loader = new FlakyLoader(new StoreSnapshotLoader(_store, _time));
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Current_BeforeFirstLoad_IsEmptyAndRefusesWithControlPlaneUnavailable()
    {
        await using var source = new SnapshotSource(_loader, _time);
        Assert.Equal(-1, source.Version);
        Assert.Equal(TimeSpan.MaxValue, source.Staleness);
        var result = new KeyAuthenticator(_time).Authenticate("Token " + _key.Secret, "stt", source.Current);
        Assert.Equal(AuthFailureCode.ControlPlaneUnavailable, result.Failure);
    }

    [Fact]
    public async Task Refresh_StoreChanged_SwapsToNewVersion()
    {
        await using var source = new SnapshotSource(_loader, _time);
        var changes = 0;
        source.Changed += _ => changes++;
        Assert.True(await source.RefreshAsync());
        Assert.Equal(2, source.Version);
        await _store.RevokeApiKeyAsync(_key.Key.Id, _time.GetUtcNow());
        Assert.True(await source.RefreshAsync());
        Assert.Equal(3, source.Version);
        Assert.Equal(2, changes);
        Assert.Equal(AuthFailureCode.RevokedKey, new KeyAuthenticator(_time).Authenticate("Token " + _key.Secret, "stt", source.Current).Failure);
    }

    [Fact]
    public async Task LoaderFailing_WithinMaxStaleness_KeepsServingLastGoodSnapshot()
    {
        await using var source = new SnapshotSource(_loader, _time);
        await source.RefreshAsync();
        var auth = new KeyAuthenticator(_time);
        _loader.Failing = true;
        _time.Advance(TimeSpan.FromMinutes(14));
        Assert.False(await source.RefreshAsync());
        Assert.NotNull(source.LastError);
        Assert.Equal(2, source.Version);
        Assert.Equal(TimeSpan.FromMinutes(14), source.Staleness);
        Assert.True(auth.Authenticate("Token " + _key.Secret, "stt", source.Current).Succeeded);
    }

    [Fact]
    public async Task LoaderFailing_BeyondMaxStaleness_RefusesThenRecovers()
    {
        await using var source = new SnapshotSource(_loader, _time);
        await source.RefreshAsync();
        var auth = new KeyAuthenticator(_time);
        _loader.Failing = true;
        _time.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        Assert.False(await source.RefreshAsync());
        var refused = auth.Authenticate("Token " + _key.Secret, "stt", source.Current);
        Assert.Equal(AuthFailureCode.ControlPlaneUnavailable, refused.Failure);
        Assert.Contains("15-minute limit", refused.Message);

        _loader.Failing = false;
        Assert.True(await source.RefreshAsync());
        Assert.Equal(TimeSpan.Zero, source.Staleness);
        Assert.True(auth.Authenticate("Token " + _key.Secret, "stt", source.Current).Succeeded);
    }

    [Fact]
    public async Task Start_TimerTicks_RefreshesInBackground()
    {
        await using var source = new SnapshotSource(_loader, _time, new SnapshotSourceOptions { RefreshInterval = TimeSpan.FromSeconds(5) });
        source.Start();
        await WaitForAsync(() => _loader.Calls >= 1);
        await WaitForAsync(() => source.Version == 2);
        await _store.CreateTenantAsync(TestData.Tenant("beta"));
        _time.Advance(TimeSpan.FromSeconds(5));
        await WaitForAsync(() => source.Version == 3);
        Assert.True(source.Current.Tenants.ContainsKey(new TenantId("beta")));
    }

    // The load runs on the thread pool after the fake timer fires; wait for its effect, bounded.
    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Yield();
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < until) await Task.Delay(5);
        Assert.True(condition());
    }

    [Fact]
    public async Task RequestRefresh_FromANonPoolThread_LoadsOnThePoolAndReturnsAtOnce()
    {
        // The gateway asks for a refresh from its socket event loop (an unknown key at admission):
        // the load — here a real SQLite query — must not run on that thread.
        await using var source = new SnapshotSource(_loader, _time);
        int caller = 0;
        var thread = new Thread(() => { caller = Environment.CurrentManagedThreadId; source.RequestRefresh(); });
        thread.Start();
        thread.Join();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (source.Version != 2 && DateTime.UtcNow < deadline)
            await Task.Delay(10);

        Assert.Equal(2, source.Version);
        var (loaderThread, onPool) = _loader.LastCaller;
        Assert.NotEqual(caller, loaderThread);
        Assert.True(onPool, "the load ran on a thread outside the pool");
    }

    private sealed class FlakyLoader(ISnapshotLoader inner) : ISnapshotLoader
    {
        public volatile bool Failing;
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        /// <summary>The managed thread id of the last load's start, and whether it was a pool thread.</summary>
        public (int ThreadId, bool OnPool) LastCaller { get; private set; }

        public Task<ControlSnapshot> LoadAsync(CancellationToken ct)
        {
            LastCaller = (Environment.CurrentManagedThreadId, Thread.CurrentThread.IsThreadPoolThread);
            Interlocked.Increment(ref _calls);
            return Failing ? Task.FromException<ControlSnapshot>(new HttpRequestException("control plane unreachable")) : inner.LoadAsync(ct);
        }
    }
}
