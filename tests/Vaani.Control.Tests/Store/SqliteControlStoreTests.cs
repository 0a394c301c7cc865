using Vaani.Control.Store;
using Vaani.Control.Tests.Support;

namespace Vaani.Control.Tests.Store;

public sealed class SqliteControlStoreTests : ControlStoreContract, IDisposable
{
    private readonly string _dir = TestData.TempDir();

    protected override async Task<IControlStore?> OpenFreshAsync()
        => await SqliteControlStore.OpenAsync(Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".db"));

    [Fact]
    public async Task Open_NewFile_UsesWalJournal()
    {
        await using var store = await SqliteControlStore.OpenAsync(Path.Combine(_dir, "wal.db"));
        Assert.Equal("wal", await store.GetJournalModeAsync());
    }

    [Fact]
    public async Task Open_Twice_DoesNotReapplyMigrations()
    {
        var path = Path.Combine(_dir, "twice.db");
        await using (var first = await SqliteControlStore.OpenAsync(path))
        {
            await first.CreateTenantAsync(TestData.Tenant("acme"));
        }

        await using var second = await SqliteControlStore.OpenAsync(path);
        Assert.Equal([1], await second.GetAppliedMigrationsAsync());
        Assert.NotNull(await second.GetTenantAsync(new Domain.TenantId("acme")));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
