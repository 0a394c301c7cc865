using Npgsql;
using Vaani.Control.Store;

namespace Vaani.Gateway.Control;

/// <summary>
/// <c>LISTEN vaani_control</c> on a PostgreSQL control store without opening the store itself
/// (a gateway in multi-node mode reads its snapshot over HTTP and only wants the change signal).
/// </summary>
public static class PostgresChangeListener
{
    /// <summary>Calls <paramref name="onChange"/> for every change notification until <paramref name="ct"/> is cancelled; throws when the connection breaks.</summary>
    public static async Task ListenAsync(string connectionString, Action onChange, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        connection.Notification += (_, _) => onChange();
        await using (var cmd = new NpgsqlCommand("LISTEN " + PostgresControlStore.NotifyChannel, connection))
        {
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        // A change may have happened before LISTEN took effect.
        onChange();
        try
        {
            while (true) await connection.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
