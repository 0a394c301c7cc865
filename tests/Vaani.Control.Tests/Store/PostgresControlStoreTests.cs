using Vaani.Testing;
using Npgsql;
using Vaani.Control.Domain;
using Vaani.Control.Store;
using Vaani.Control.Tests.Support;

namespace Vaani.Control.Tests.Store;

[Collection(PostgresCollection.Name)]
public sealed class PostgresControlStoreTests(PostgresServer server) : ControlStoreContract
{
    protected override async Task<IControlStore?> OpenFreshAsync()
    {
        var cs = await server.CreateDatabaseAsync();
        return cs is null ? null : await PostgresControlStore.OpenAsync(cs);
    }

    [Fact]
    public async Task Change_TenantCreated_NotifiesListenersWithNewVersion()
    {
        var cs = await server.CreateDatabaseAsync();
        if (cs is null) return;
        await using var store = await PostgresControlStore.OpenAsync(cs);
        var received = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        await using var listenConnection = new NpgsqlConnection(cs);
        await listenConnection.OpenAsync();
        listenConnection.Notification += (_, e) => received.TrySetResult(long.Parse(e.Payload, System.Globalization.CultureInfo.InvariantCulture));
        await using (var cmd = new NpgsqlCommand("LISTEN " + PostgresControlStore.NotifyChannel, listenConnection)) await cmd.ExecuteNonQueryAsync();

        await store.CreateTenantAsync(TestData.Tenant("acme"));
        var wait = listenConnection.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(await wait, "no NOTIFY arrived within 30 s");
        Assert.Equal(1, await received.Task);
    }

    [Fact]
    public async Task ListenAsync_ChangeCommitted_InvokesCallback()
    {
        var cs = await server.CreateDatabaseAsync();
        if (cs is null) return;
        await using var store = await PostgresControlStore.OpenAsync(cs);
        var received = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var listening = store.ListenAsync(v => received.TrySetResult(v), stop.Token);
        // LISTEN is registered asynchronously: keep changing until one notification arrives.
        for (var i = 0; i < 100 && !received.Task.IsCompleted; i++)
        {
            await store.SetRoutesAsync(RouteTable.Empty);
            await Task.WhenAny(received.Task, Task.Delay(100));
        }

        Assert.True(received.Task.IsCompleted, "no notification via ListenAsync");
        Assert.True(await received.Task >= 1);
        await stop.CancelAsync();
        await listening;
    }

    [Fact]
    public async Task Open_TwoNodesConcurrently_MigrateOnce()
    {
        var cs = await server.CreateDatabaseAsync();
        if (cs is null) return;
        var stores = await Task.WhenAll(PostgresControlStore.OpenAsync(cs), PostgresControlStore.OpenAsync(cs));
        Assert.Equal([1], await stores[0].GetAppliedMigrationsAsync());
        foreach (var s in stores) await s.DisposeAsync();
    }
}
