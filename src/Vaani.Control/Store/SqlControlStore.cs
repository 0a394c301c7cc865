using System.Data;
using System.Data.Common;
using System.Text.Json;
using Vaani.Control.Domain;
using Vaani.Control.Snapshots;

namespace Vaani.Control.Store;

/// <summary>
/// The SQL shared by the SQLite and PostgreSQL stores. Both dialects understand the same
/// statements here (named <c>@parameters</c>, <c>ON CONFLICT DO NOTHING</c>, BIGINT unix-millisecond
/// timestamps, INTEGER flags); dialect differences are the virtual members.
/// </summary>
public abstract class SqlControlStore : IControlStore
{
    private protected SqlControlStore(TimeProvider time)
    {
        Time = time;
    }

    /// <summary>Clock for recorded_at and migration timestamps.</summary>
    private protected TimeProvider Time { get; }

    private protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct);

    /// <summary>Type names substituted into migration scripts.</summary>
    private protected abstract string BlobType { get; }

    private protected abstract string DoubleType { get; }

    /// <summary>SQL run first inside the migration transaction to serialize concurrent openers (may be empty).</summary>
    private protected virtual string MigrationLockSql => string.Empty;

    /// <summary>SQL run inside every change transaction after the version bump, with @version bound (may be empty).</summary>
    private protected virtual string ChangeNotifySql => string.Empty;

    private protected virtual ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct)
        => connection.BeginTransactionAsync(IsolationLevel.Serializable, ct);

    private protected virtual ValueTask<DbTransaction> BeginSnapshotReadAsync(DbConnection connection, CancellationToken ct)
        => connection.BeginTransactionAsync(IsolationLevel.Serializable, ct);

    /// <summary>Applies pending migrations in order. Called by the factories before the store is returned.</summary>
    private protected async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection, ct);
        if (MigrationLockSql.Length > 0)
        {
            await ExecAsync(connection, tx, MigrationLockSql, ct);
        }

        await ExecAsync(connection, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)", ct);
        var applied = new HashSet<int>();
        await using (var cmd = Command(connection, tx, "SELECT version FROM schema_migrations"))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) applied.Add(Convert.ToInt32(reader.GetValue(0)));
        }

        foreach (var migration in Migration.All.OrderBy(m => m.Version))
        {
            if (applied.Contains(migration.Version)) continue;
            var script = migration.Script.Replace("{blob}", BlobType).Replace("{double}", DoubleType);
            await ExecAsync(connection, tx, script, ct);
            await ExecAsync(connection, tx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)", ct,
                ("@v", migration.Version), ("@n", migration.Name), ("@t", Time.GetUtcNow().ToUnixTimeMilliseconds()));
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>The versions recorded in schema_migrations, ascending.</summary>
    public async Task<IReadOnlyList<int>> GetAppliedMigrationsAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        var list = new List<int>();
        await using var cmd = Command(connection, null, "SELECT version FROM schema_migrations ORDER BY version");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Convert.ToInt32(reader.GetValue(0)));
        return list;
    }

    public async Task<long> GetControlVersionAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        return Convert.ToInt64(await ScalarAsync(connection, null, "SELECT control_version FROM control_meta WHERE id = 1", ct));
    }

    public Task CreateTenantAsync(Tenant tenant, CancellationToken ct = default) => ChangeAsync(async (c, tx) =>
    {
        var inserted = await ExecAsync(c, tx, "INSERT INTO tenants (id, name, created_at, disabled) VALUES (@id, @name, @created, @disabled) ON CONFLICT DO NOTHING", ct,
            ("@id", tenant.Id.Value), ("@name", tenant.Name), ("@created", tenant.CreatedAt.ToUnixTimeMilliseconds()), ("@disabled", tenant.Disabled ? 1 : 0));
        if (inserted == 0) throw new ControlException(ControlErrorCode.AlreadyExists, $"Tenant '{tenant.Id}' already exists.");
        return true;
    }, ct);

    public async Task<Tenant?> GetTenantAsync(TenantId id, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        var list = await ReadTenantsAsync(connection, null, "WHERE id = @id", ct, ("@id", id.Value));
        return list.Count == 0 ? null : list[0];
    }

    public async Task<IReadOnlyList<Tenant>> ListTenantsAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        return await ReadTenantsAsync(connection, null, string.Empty, ct);
    }

    public Task<bool> SetTenantDisabledAsync(TenantId id, bool disabled, CancellationToken ct = default) => ChangeAsync(async (c, tx) =>
        await ExecAsync(c, tx, "UPDATE tenants SET disabled = @d WHERE id = @id", ct, ("@d", disabled ? 1 : 0), ("@id", id.Value)) > 0, ct);

    public Task InsertApiKeyAsync(ApiKey key, CancellationToken ct = default) => ChangeAsync(async (c, tx) =>
    {
        var tenantExists = await ScalarAsync(c, tx, "SELECT COUNT(*) FROM tenants WHERE id = @id", ct, ("@id", key.Tenant.Value));
        if (Convert.ToInt64(tenantExists) == 0) throw new ControlException(ControlErrorCode.NotFound, $"Tenant '{key.Tenant}' does not exist.");
        var inserted = await ExecAsync(c, tx,
            "INSERT INTO api_keys (id, tenant_id, name, scopes, created_at, expires_at, revoked_at, secret_hash, salt) " +
            "VALUES (@id, @tenant, @name, @scopes, @created, @expires, @revoked, @hash, @salt) ON CONFLICT DO NOTHING", ct,
            ("@id", key.Id.Value), ("@tenant", key.Tenant.Value), ("@name", key.Name), ("@scopes", (int)key.Scopes),
            ("@created", key.CreatedAt.ToUnixTimeMilliseconds()), ("@expires", key.ExpiresAt?.ToUnixTimeMilliseconds()),
            ("@revoked", key.RevokedAt?.ToUnixTimeMilliseconds()), ("@hash", key.SecretHash), ("@salt", key.Salt));
        if (inserted == 0) throw new ControlException(ControlErrorCode.AlreadyExists, $"API key '{key.Id}' already exists.");
        return true;
    }, ct);

    public async Task<ApiKey?> GetApiKeyAsync(ApiKeyId id, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        var list = await ReadKeysAsync(connection, null, "WHERE id = @id", ct, ("@id", id.Value));
        return list.Count == 0 ? null : list[0];
    }

    public async Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(TenantId? tenant, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        return tenant is { } t
            ? await ReadKeysAsync(connection, null, "WHERE tenant_id = @t", ct, ("@t", t.Value))
            : await ReadKeysAsync(connection, null, string.Empty, ct);
    }

    public async Task<bool> RevokeApiKeyAsync(ApiKeyId id, DateTimeOffset revokedAt, CancellationToken ct = default)
    {
        var changed = await ChangeAsync(async (c, tx) =>
            await ExecAsync(c, tx, "UPDATE api_keys SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL", ct,
                ("@at", revokedAt.ToUnixTimeMilliseconds()), ("@id", id.Value)) > 0, ct);
        return changed || await GetApiKeyAsync(id, ct) is not null;
    }

    public Task SetQuotasAsync(TenantId tenant, TenantQuotas quotas, CancellationToken ct = default) => ChangeAsync(async (c, tx) =>
    {
        var tenantExists = await ScalarAsync(c, tx, "SELECT COUNT(*) FROM tenants WHERE id = @id", ct, ("@id", tenant.Value));
        if (Convert.ToInt64(tenantExists) == 0) throw new ControlException(ControlErrorCode.NotFound, $"Tenant '{tenant}' does not exist.");
        var json = JsonSerializer.Serialize(quotas, ControlJson.Options);
        await ExecAsync(c, tx, "INSERT INTO quotas (tenant_id, quotas_json) VALUES (@t, @j) ON CONFLICT (tenant_id) DO UPDATE SET quotas_json = excluded.quotas_json", ct,
            ("@t", tenant.Value), ("@j", json));
        return true;
    }, ct);

    public async Task<TenantQuotas?> GetQuotasAsync(TenantId tenant, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        var json = await ScalarAsync(connection, null, "SELECT quotas_json FROM quotas WHERE tenant_id = @t", ct, ("@t", tenant.Value));
        return json is string s ? JsonSerializer.Deserialize<TenantQuotas>(s, ControlJson.Options) : null;
    }

    public Task SetRoutesAsync(RouteTable routes, CancellationToken ct = default) => ChangeAsync(async (c, tx) =>
    {
        var json = JsonSerializer.Serialize(routes, ControlJson.Options);
        await ExecAsync(c, tx, "INSERT INTO routes (id, routes_json) VALUES (1, @j) ON CONFLICT (id) DO UPDATE SET routes_json = excluded.routes_json", ct, ("@j", json));
        return true;
    }, ct);

    public async Task<RouteTable> GetRoutesAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        return await ReadRoutesAsync(connection, null, ct);
    }

    public async Task<bool> InsertUsageAsync(UsageEvent usage, CancellationToken ct = default)
        => await InsertUsageBatchAsync([usage], ct) == 1;

    public async Task<int> InsertUsageBatchAsync(IReadOnlyList<UsageEvent> events, CancellationToken ct = default)
    {
        foreach (var e in events) e.Validate();
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection, ct);
        var inserted = 0;
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var e in events)
        {
            inserted += await ExecAsync(connection, tx,
                "INSERT INTO usage_events (event_id, tenant_id, key_id, kind, audio_seconds, characters, model, occurred_at, day, month, recorded_at) " +
                "VALUES (@id, @tenant, @key, @kind, @audio, @chars, @model, @at, @day, @month, @rec) ON CONFLICT (event_id) DO NOTHING", ct,
                ("@id", e.EventId), ("@tenant", e.Tenant.Value), ("@key", e.KeyId?.Value), ("@kind", KindToDb(e.Kind)),
                ("@audio", e.AudioSeconds), ("@chars", e.Characters), ("@model", e.Model), ("@at", e.OccurredAt.ToUnixTimeMilliseconds()),
                ("@day", UsageTotals.DayOf(e.OccurredAt)), ("@month", UsageTotals.MonthOf(e.OccurredAt)), ("@rec", now));
        }

        await tx.CommitAsync(ct);
        return inserted;
    }

    public async Task<IReadOnlyList<UsageAggregate>> QueryUsageAsync(TenantId tenant, UsagePeriod period, DateOnly from, DateOnly to, CancellationToken ct = default)
    {
        var column = period == UsagePeriod.Day ? "day" : "month";
        var format = period == UsagePeriod.Day ? "yyyy-MM-dd" : "yyyy-MM";
        await using var connection = await OpenConnectionAsync(ct);
        await using var cmd = Command(connection, null,
            $"SELECT {column}, kind, COALESCE(SUM(audio_seconds), 0), COALESCE(SUM(characters), 0), COUNT(*) FROM usage_events " +
            $"WHERE tenant_id = @t AND {column} >= @from AND {column} <= @to GROUP BY {column}, kind ORDER BY {column}, kind",
            ("@t", tenant.Value), ("@from", from.ToString(format, System.Globalization.CultureInfo.InvariantCulture)),
            ("@to", to.ToString(format, System.Globalization.CultureInfo.InvariantCulture)));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<UsageAggregate>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(new UsageAggregate(reader.GetString(0), KindFromDb(reader.GetString(1)), Convert.ToDouble(reader.GetValue(2)),
                Convert.ToInt64(reader.GetValue(3)), Convert.ToInt64(reader.GetValue(4))));
        }

        return list;
    }

    public async Task<IdempotencyRecord?> TryReserveIdempotencyAsync(TenantId tenant, string key, string requestHash, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        var inserted = await ExecAsync(connection, null,
            "INSERT INTO idempotency (tenant_id, idem_key, request_hash, created_at) VALUES (@t, @k, @h, @c) ON CONFLICT DO NOTHING", ct,
            ("@t", tenant.Value), ("@k", key), ("@h", requestHash), ("@c", now.ToUnixTimeMilliseconds()));
        if (inserted == 1) return null;
        await using var cmd = Command(connection, null,
            "SELECT request_hash, status, response_json, created_at FROM idempotency WHERE tenant_id = @t AND idem_key = @k", ("@t", tenant.Value), ("@k", key));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            // Released between our insert and read: report "in progress" so the caller retries.
            return new IdempotencyRecord(tenant, key, requestHash, null, null, now);
        }

        return new IdempotencyRecord(tenant, key, reader.GetString(0), reader.IsDBNull(1) ? null : Convert.ToInt32(reader.GetValue(1)),
            reader.IsDBNull(2) ? null : reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(3))));
    }

    public async Task CompleteIdempotencyAsync(TenantId tenant, string key, int status, string responseJson, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await ExecAsync(connection, null, "UPDATE idempotency SET status = @s, response_json = @r WHERE tenant_id = @t AND idem_key = @k", ct,
            ("@s", status), ("@r", responseJson), ("@t", tenant.Value), ("@k", key));
    }

    public async Task ReleaseIdempotencyAsync(TenantId tenant, string key, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await ExecAsync(connection, null, "DELETE FROM idempotency WHERE tenant_id = @t AND idem_key = @k AND response_json IS NULL", ct,
            ("@t", tenant.Value), ("@k", key));
    }

    public async Task<int> PurgeIdempotencyAsync(DateTimeOffset cutoff, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        return await ExecAsync(connection, null, "DELETE FROM idempotency WHERE created_at < @c", ct, ("@c", cutoff.ToUnixTimeMilliseconds()));
    }

    public async Task<ControlSnapshot> LoadSnapshotAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginSnapshotReadAsync(connection, ct);
        var version = Convert.ToInt64(await ScalarAsync(connection, tx, "SELECT control_version FROM control_meta WHERE id = 1", ct));
        var tenants = (await ReadTenantsAsync(connection, tx, string.Empty, ct)).ToDictionary(t => t.Id);
        var keys = (await ReadKeysAsync(connection, tx, string.Empty, ct)).ToDictionary(k => k.Id, SnapshotKey.From);
        var quotas = new Dictionary<TenantId, TenantQuotas>();
        await using (var cmd = Command(connection, tx, "SELECT tenant_id, quotas_json FROM quotas"))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                quotas[new TenantId(reader.GetString(0))] = JsonSerializer.Deserialize<TenantQuotas>(reader.GetString(1), ControlJson.Options)!;
            }
        }

        var day = UsageTotals.DayOf(now);
        var month = UsageTotals.MonthOf(now);
        var usage = new Dictionary<TenantId, UsageTotals>();
        await using (var cmd = Command(connection, tx,
            "SELECT tenant_id, " +
            "COALESCE(SUM(CASE WHEN kind = 'stt' AND day = @day THEN audio_seconds ELSE 0 END), 0), " +
            "COALESCE(SUM(CASE WHEN kind = 'stt' THEN audio_seconds ELSE 0 END), 0), " +
            "COALESCE(SUM(CASE WHEN kind = 'tts' AND day = @day THEN characters ELSE 0 END), 0), " +
            "COALESCE(SUM(CASE WHEN kind = 'tts' THEN characters ELSE 0 END), 0) " +
            "FROM usage_events WHERE month = @month GROUP BY tenant_id", ("@day", day), ("@month", month)))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                if (!TenantId.IsValid(reader.GetString(0))) continue;
                usage[new TenantId(reader.GetString(0))] = new UsageTotals(day, month, Convert.ToDouble(reader.GetValue(1)),
                    Convert.ToDouble(reader.GetValue(2)), Convert.ToInt64(reader.GetValue(3)), Convert.ToInt64(reader.GetValue(4)));
            }
        }

        var routes = await ReadRoutesAsync(connection, tx, ct);
        await tx.CommitAsync(ct);
        return new ControlSnapshot
        {
            Version = version,
            BuiltAt = now,
            Keys = keys,
            Tenants = tenants,
            Quotas = quotas,
            Usage = usage,
            Routes = routes,
        };
    }

    public abstract ValueTask DisposeAsync();

    /// <summary>Runs a change and bumps control_version in the same transaction when it reports a change.</summary>
    private async Task<bool> ChangeAsync(Func<DbConnection, DbTransaction, Task<bool>> change, CancellationToken ct)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection, ct);
        var changed = await change(connection, tx);
        if (changed)
        {
            await ExecAsync(connection, tx, "UPDATE control_meta SET control_version = control_version + 1 WHERE id = 1", ct);
            if (ChangeNotifySql.Length > 0)
            {
                var version = Convert.ToInt64(await ScalarAsync(connection, tx, "SELECT control_version FROM control_meta WHERE id = 1", ct));
                await ExecAsync(connection, tx, ChangeNotifySql, ct, ("@version", version.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        await tx.CommitAsync(ct);
        return changed;
    }

    private static async Task<List<Tenant>> ReadTenantsAsync(DbConnection c, DbTransaction? tx, string where, CancellationToken ct, params (string, object?)[] p)
    {
        await using var cmd = Command(c, tx, $"SELECT id, name, created_at, disabled FROM tenants {where} ORDER BY id", p);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<Tenant>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(new Tenant(new TenantId(reader.GetString(0)), reader.GetString(1),
                DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(2))), Convert.ToInt64(reader.GetValue(3)) != 0));
        }

        return list;
    }

    private static async Task<List<ApiKey>> ReadKeysAsync(DbConnection c, DbTransaction? tx, string where, CancellationToken ct, params (string, object?)[] p)
    {
        await using var cmd = Command(c, tx, $"SELECT id, tenant_id, name, scopes, created_at, expires_at, revoked_at, secret_hash, salt FROM api_keys {where} ORDER BY created_at, id", p);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<ApiKey>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(new ApiKey(new ApiKeyId(reader.GetString(0)), new TenantId(reader.GetString(1)), reader.GetString(2),
                (ApiKeyScopes)Convert.ToInt32(reader.GetValue(3)), ReadTime(reader, 4)!.Value, ReadTime(reader, 5), ReadTime(reader, 6),
                (byte[])reader.GetValue(7), (byte[])reader.GetValue(8)));
        }

        return list;
    }

    private static async Task<RouteTable> ReadRoutesAsync(DbConnection c, DbTransaction? tx, CancellationToken ct)
    {
        var json = await ScalarAsync(c, tx, "SELECT routes_json FROM routes WHERE id = 1", ct);
        return json is string s ? JsonSerializer.Deserialize<RouteTable>(s, ControlJson.Options)! : RouteTable.Empty;
    }

    private static DateTimeOffset? ReadTime(DbDataReader reader, int ordinal)
        => reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(ordinal)));

    private static string KindToDb(UsageKind kind) => kind == UsageKind.Stt ? "stt" : "tts";

    private static UsageKind KindFromDb(string kind) => kind == "stt" ? UsageKind.Stt : UsageKind.Tts;

    private protected static DbCommand Command(DbConnection c, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }

        return cmd;
    }

    private protected static async Task<int> ExecAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] p)
    {
        await using var cmd = Command(c, tx, sql, p);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] p)
    {
        await using var cmd = Command(c, tx, sql, p);
        var value = await cmd.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }
}
