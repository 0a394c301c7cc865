using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Vaani.Testing;

/// <summary>
/// A private PostgreSQL cluster for the test run: initdb into a temp directory as the
/// <c>postgres</c> OS user, started on a free loopback port, stopped and deleted at the end.
/// Missing binaries fail the tests with a clear message unless VAANI_SKIP_POSTGRES=1.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string? _root;
    private string? _binDir;
    private int _databaseCounter;

    public static bool SkipRequested => Environment.GetEnvironmentVariable("VAANI_SKIP_POSTGRES") == "1";

    /// <summary>Admin connection string (database postgres); null when skipped.</summary>
    public string? ConnectionString { get; private set; }

    public async Task InitializeAsync()
    {
        // VAANI_SKIP_POSTGRES=1 is the only way to not run these tests; missing binaries fail them.
        if (SkipRequested) return;
        var searchRoot = Environment.GetEnvironmentVariable("VAANI_POSTGRES_ROOT") ?? "/usr/lib/postgresql";
        _binDir = Directory.Exists(searchRoot)
            ? Directory.GetDirectories(searchRoot).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (_binDir is null)
        {
            throw new InvalidOperationException(
                $"PostgreSQL binaries not found under {searchRoot}/*/bin: install the Debian package 'postgresql' (apt-get install -y postgresql) or set VAANI_SKIP_POSTGRES=1 to skip the PostgreSQL store tests.");
        }

        _root = Path.Combine(Path.GetTempPath(), "vaani-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_root);
        // PostgreSQL refuses to run as root: as root the cluster belongs to the 'postgres' OS user the
        // Debian package creates; as anyone else it simply runs as the current user.
        if (Environment.IsPrivilegedProcess) await RunAsync("chown", "postgres:postgres", _root);
        var data = Path.Combine(_root, "data");
        var port = FreePort();
        await RunAsPostgresAsync(Path.Combine(_binDir, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        await RunAsPostgresAsync(Path.Combine(_binDir, "pg_ctl"), "-D", data, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60",
            "-o", $"-p {port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start");
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Timeout=30";
    }

    /// <summary>A fresh, empty database for one test; null when PostgreSQL tests are skipped.</summary>
    public async Task<string?> CreateDatabaseAsync()
    {
        if (ConnectionString is null) return null;
        var name = "vaani_t" + Interlocked.Increment(ref _databaseCounter) + "_" + Guid.NewGuid().ToString("N")[..8];
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await cmd.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ToString();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_root is null || _binDir is null) return;
        try
        {
            await RunAsPostgresAsync(Path.Combine(_binDir, "pg_ctl"), "-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop");
        }
        finally
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task RunAsPostgresAsync(string file, params string[] args)
        => Environment.IsPrivilegedProcess ? RunAsync("runuser", ["-u", "postgres", "--", file, .. args]) : RunAsync(file, args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}{await stdout}");
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
