using Npgsql;
using Vaani.Control.Store;

namespace Vaani.Gateway.Control;

/// <summary>
/// Which control store to open, from the <c>--store</c> value: empty → SQLite at
/// <c>{data dir}/control.db</c>; <c>sqlite:PATH</c> or a path → SQLite there;
/// <c>postgres://user:password@host:port/database?sslmode=…</c> (or <c>postgresql://</c>) or an
/// Npgsql connection string (<c>Host=…;…</c>) → PostgreSQL.
/// </summary>
public sealed record ControlStoreSpec(bool IsPostgres, string Target)
{
    /// <summary>The SQLite file name under the data directory.</summary>
    public const string DefaultSqliteFile = "control.db";

    public static ControlStoreSpec Parse(string? value, string dataDirectory)
    {
        if (string.IsNullOrWhiteSpace(value)) return new(false, Path.Combine(dataDirectory, DefaultSqliteFile));
        value = value.Trim();
        if (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return new(true, PostgresUrlToConnectionString(value));
        if (value.Contains("Host=", StringComparison.OrdinalIgnoreCase) && value.Contains(';', StringComparison.Ordinal))
            return new(true, value);
        if (value.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase)) value = value["sqlite:".Length..];
        if (value.Length == 0) throw new ArgumentException("--store sqlite: needs a file path, e.g. sqlite:/var/lib/vaani/control.db");
        return new(false, Path.GetFullPath(value));
    }

    /// <summary>Opens the store and applies pending migrations.</summary>
    public async Task<IControlStore> OpenAsync(CancellationToken ct) => IsPostgres
        ? await PostgresControlStore.OpenAsync(Target, ct: ct).ConfigureAwait(false)
        : await SqliteControlStore.OpenAsync(Target, ct: ct).ConfigureAwait(false);

    /// <summary>Where the store is, without credentials (for logs).</summary>
    public string Describe()
    {
        if (!IsPostgres) return "sqlite " + Target;
        var b = new NpgsqlConnectionStringBuilder(Target);
        return $"postgresql {b.Username}@{b.Host}:{b.Port}/{b.Database}";
    }

    /// <summary>
    /// <c>postgres://user:password@host:port/database?param=value</c> → an Npgsql connection string.
    /// Percent-escapes are decoded; query parameters map to keywords (<c>sslmode</c> → SSL Mode, any
    /// other Npgsql keyword passes through, e.g. <c>?Pooling=false</c>).
    /// </summary>
    public static string PostgresUrlToConnectionString(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new ArgumentException($"--store '{Redact(url)}' is not a valid postgres:// URL (postgres://user:password@host:port/database)");
        var b = new NpgsqlConnectionStringBuilder { Host = uri.Host.Trim('[', ']'), Port = uri.Port > 0 ? uri.Port : 5432 };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            b.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) b.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) b.Database = database;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var val = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            var keyword = name.ToLowerInvariant() switch
            {
                "sslmode" => "SSL Mode",
                "application_name" => "Application Name",
                "connect_timeout" => "Timeout",
                _ => name,
            };
            try { b[keyword] = val; }
            catch (ArgumentException ex) { throw new ArgumentException($"--store: unknown PostgreSQL parameter '{name}': {ex.Message}", ex); }
        }

        return b.ConnectionString;
    }

    private static string Redact(string url)
    {
        var at = url.IndexOf('@', StringComparison.Ordinal);
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme > 0 ? url[..(scheme + 3)] + "***" + url[at..] : url;
    }
}
