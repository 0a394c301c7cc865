using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Vaani.Control.Store;

/// <summary>
/// The embedded control store: one SQLite file in WAL mode (readers never block the writer, so
/// snapshot loads run beside admin writes). The default for <c>vaani serve</c> on one machine.
/// </summary>
public sealed class SqliteControlStore : SqlControlStore
{
    private readonly string _connectionString;

    private SqliteControlStore(string connectionString, TimeProvider time)
        : base(time)
    {
        _connectionString = connectionString;
    }

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/> and applies pending migrations.</summary>
    public static async Task<SqliteControlStore> OpenAsync(string path, TimeProvider? time = null, CancellationToken ct = default)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            DefaultTimeout = 30, // seconds a writer waits on a busy database before failing
            Pooling = true,
        };
        var store = new SqliteControlStore(builder.ToString(), time ?? TimeProvider.System);
        await using (var connection = await store.OpenConnectionAsync(ct))
        {
            await ExecAsync(connection, null, "PRAGMA journal_mode=WAL", ct);
        }

        await store.MigrateAsync(ct);
        return store;
    }

    /// <summary>The file's journal mode (expected: <c>wal</c>).</summary>
    public async Task<string> GetJournalModeAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await using var cmd = Command(connection, null, "PRAGMA journal_mode");
        return (string)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private protected override string BlobType => "BLOB";

    private protected override string DoubleType => "REAL";

    private protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        // Durable enough in WAL mode and much faster than FULL: a power cut can lose the last
        // commit only, never corrupt the file. Usage rows are also spooled on the data plane.
        await ExecAsync(connection, null, "PRAGMA synchronous=NORMAL", ct);
        return connection;
    }

    // BEGIN IMMEDIATE: take the write lock up front so read-then-write transactions cannot deadlock.
    private protected override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct)
        => ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    // A deferred transaction is a consistent read snapshot in WAL mode without blocking writers.
    private protected override ValueTask<DbTransaction> BeginSnapshotReadAsync(DbConnection connection, CancellationToken ct)
        => ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
