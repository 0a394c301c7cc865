namespace Vaani.Control.Store;

/// <summary>
/// One schema step. Scripts are shared between SQLite and PostgreSQL; <c>{blob}</c> and
/// <c>{double}</c> are replaced by each dialect's type names. Steps are applied in order at open
/// and recorded in <c>schema_migrations</c>; an applied step is never edited, only followed.
/// </summary>
internal sealed record Migration(int Version, string Name, string Script)
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "initial", """
            CREATE TABLE control_meta (id INTEGER PRIMARY KEY, control_version BIGINT NOT NULL);
            INSERT INTO control_meta (id, control_version) VALUES (1, 0);
            CREATE TABLE tenants (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                disabled INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL REFERENCES tenants(id),
                name TEXT NOT NULL,
                scopes INTEGER NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NULL,
                revoked_at BIGINT NULL,
                secret_hash {blob} NOT NULL,
                salt {blob} NOT NULL);
            CREATE INDEX ix_api_keys_tenant ON api_keys (tenant_id);
            CREATE TABLE quotas (
                tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
                quotas_json TEXT NOT NULL);
            CREATE TABLE routes (id INTEGER PRIMARY KEY, routes_json TEXT NOT NULL);
            CREATE TABLE usage_events (
                event_id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                key_id TEXT NULL,
                kind TEXT NOT NULL,
                audio_seconds {double} NOT NULL,
                characters BIGINT NOT NULL,
                model TEXT NOT NULL,
                occurred_at BIGINT NOT NULL,
                day TEXT NOT NULL,
                month TEXT NOT NULL,
                recorded_at BIGINT NOT NULL);
            CREATE INDEX ix_usage_tenant_day ON usage_events (tenant_id, day);
            CREATE INDEX ix_usage_month_tenant ON usage_events (month, tenant_id);
            CREATE TABLE idempotency (
                tenant_id TEXT NOT NULL,
                idem_key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                status INTEGER NULL,
                response_json TEXT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, idem_key));
            CREATE INDEX ix_idempotency_created ON idempotency (created_at);
            """),
    ];
}
