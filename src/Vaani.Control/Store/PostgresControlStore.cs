using System.Data;
using System.Data.Common;
using Npgsql;

namespace Vaani.Control.Store;

/// <summary>
/// The multi-node control store on PostgreSQL. Every change also runs
/// <c>pg_notify('vaani_control', version)</c> in its transaction (delivered at commit), so snapshot
/// holders can refresh at once instead of waiting for their next poll; see <see cref="ListenAsync"/>.
/// </summary>
public sealed class PostgresControlStore : SqlControlStore
{
    /// <summary>The LISTEN/NOTIFY channel name.</summary>
    public const string NotifyChannel = "vaani_control";

    private readonly NpgsqlDataSource _dataSource;

    private PostgresControlStore(NpgsqlDataSource dataSource, TimeProvider time)
        : base(time)
    {
        _dataSource = dataSource;
    }

    /// <summary>Connects with <paramref name="connectionString"/> and applies pending migrations.</summary>
    public static async Task<PostgresControlStore> OpenAsync(string connectionString, TimeProvider? time = null, CancellationToken ct = default)
    {
        var store = new PostgresControlStore(NpgsqlDataSource.Create(connectionString), time ?? TimeProvider.System);
        try
        {
            await store.MigrateAsync(ct);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }

        return store;
    }

    /// <summary>
    /// Listens on <see cref="NotifyChannel"/> and calls <paramref name="onChange"/> with the new
    /// control version for every change, until <paramref name="ct"/> is cancelled.
    /// </summary>
    public async Task ListenAsync(Action<long> onChange, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        connection.Notification += (_, e) =>
        {
            if (long.TryParse(e.Payload, System.Globalization.CultureInfo.InvariantCulture, out var version)) onChange(version);
        };
        await using (var cmd = new NpgsqlCommand("LISTEN " + NotifyChannel, connection))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }

        try
        {
            while (true) await connection.WaitAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private protected override string BlobType => "BYTEA";

    private protected override string DoubleType => "DOUBLE PRECISION";

    // Transaction-scoped advisory lock: two nodes starting at once migrate one after the other.
    private protected override string MigrationLockSql => "SELECT pg_advisory_xact_lock(72461001)";

    private protected override string ChangeNotifySql => "SELECT pg_notify('" + NotifyChannel + "', @version)";

    private protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct)
        => await _dataSource.OpenConnectionAsync(ct);

    // READ COMMITTED plus row locks from UPDATE is enough for the single-statement changes here;
    // serializable would add retry handling for no benefit.
    private protected override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct)
        => connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);

    // REPEATABLE READ gives the snapshot one consistent view across its several SELECTs.
    private protected override ValueTask<DbTransaction> BeginSnapshotReadAsync(DbConnection connection, CancellationToken ct)
        => connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
