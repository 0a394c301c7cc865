using Vaani.Testing;
using System.Diagnostics;
using System.Text.Json;
using Vaani.Control.Domain;
using Vaani.Control.Keys;
using Vaani.Gateway.Control;
using Vaani.MultiNode.Tests.Support;

namespace Vaani.MultiNode.Tests;

/// <summary><c>vaani admin …</c> against a real <c>vaani control</c> process; store URL parsing.</summary>
public sealed class AdminCliTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vaani-cli-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string _root = ApiKeySecret.Generate(ApiKeyId.New());
    private VaaniProcess? _control;
    private string _url = "";

    public async Task InitializeAsync()
    {
        _control = VaaniProcess.Start(new Dictionary<string, string> { ["VAANI_API_KEY"] = _root }, "control", "--port", "0", "--data-dir", _dir);
        _url = await _control.WaitForAsync(@"control plane listening on (http://[0-9.:]+)", TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task AdminCli_TenantKeyQuotaUsage_RoundTripAndIdempotentRetry()
    {
        Assert.Equal(0, (await AdminAsync("tenants", "create", "acme", "--name", "Acme Corp")).Code);
        var tenants = await AdminAsync("tenants", "list");
        Assert.Contains("\"acme\"", tenants.Stdout, StringComparison.Ordinal);

        // The same Idempotency-Key replays the first answer: one key, the same secret twice.
        var first = await AdminAsync("keys", "create", "acme", "--name", "app", "--scopes", "stt,tts", "--secret-only", "--idempotency-key", "create-app-1");
        var retry = await AdminAsync("keys", "create", "acme", "--name", "app", "--scopes", "stt,tts", "--secret-only", "--idempotency-key", "create-app-1");
        Assert.Equal(0, first.Code);
        Assert.True(ApiKeySecret.TryParse(first.Stdout.Trim(), out _), first.Stdout);
        Assert.Equal(first.Stdout, retry.Stdout);
        var keys = JsonDocument.Parse((await AdminAsync("keys", "list", "acme")).Stdout).RootElement.GetProperty("keys");
        Assert.Equal(1, keys.GetArrayLength());
        // The same key with a different request is a conflict, not a second key.
        var conflict = await AdminAsync("keys", "create", "acme", "--name", "other", "--idempotency-key", "create-app-1");
        Assert.Equal(65, conflict.Code);
        Assert.Contains("idempotency_conflict", conflict.Stderr, StringComparison.Ordinal);

        Assert.Equal(0, (await AdminAsync("quotas", "set", "acme", "--max-concurrent-stt", "3", "--tts-chars-per-day", "1000")).Code);
        var quotas = JsonDocument.Parse((await AdminAsync("quotas", "get", "acme")).Stdout).RootElement;
        Assert.Equal(3, quotas.GetProperty("max_concurrent_stt").GetInt32());
        Assert.Equal(1000, quotas.GetProperty("tts_chars_per_day").GetInt64());
        Assert.Equal(0, JsonDocument.Parse((await AdminAsync("usage", "acme", "--period", "month")).Stdout).RootElement.GetProperty("buckets").GetArrayLength());

        var keyId = keys[0].GetProperty("id").GetString()!;
        Assert.Equal(0, (await AdminAsync("keys", "revoke", "acme", keyId)).Code);

        // A tenant's own key cannot reach another tenant; a wrong key is refused with exit 77.
        var denied = await RunAsync(["admin", "--url", _url, "--key", first.Stdout.Trim(), "tenants", "get", "acme"], null);
        Assert.Equal(77, denied.Code);
        var missing = await AdminAsync("tenants", "get", "nope");
        Assert.Equal(66, missing.Code);
        Assert.Contains("not_found", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void StoreSpec_PostgresUrl_BecomesNpgsqlConnectionString()
    {
        var spec = ControlStoreSpec.Parse("postgres://vaani:p%40ss@db.internal:6543/control?sslmode=require", "/data");
        Assert.True(spec.IsPostgres);
        var b = new Npgsql.NpgsqlConnectionStringBuilder(spec.Target);
        Assert.Equal(("vaani", "p@ss", "db.internal", 6543, "control", Npgsql.SslMode.Require), (b.Username, b.Password, b.Host, b.Port, b.Database, b.SslMode));
        Assert.Equal(5432, new Npgsql.NpgsqlConnectionStringBuilder(ControlStoreSpec.Parse("postgresql://h/db", "/d").Target).Port);
        Assert.Equal(("/data/control.db", false), (ControlStoreSpec.Parse(null, "/data").Target, ControlStoreSpec.Parse(null, "/data").IsPostgres));
        Assert.Equal("/x/y.db", ControlStoreSpec.Parse("sqlite:/x/y.db", "/data").Target);
        Assert.Throws<ArgumentException>(() => ControlStoreSpec.Parse("postgres://h/db?nosuchparam=1", "/d"));
    }

    [Fact]
    public async Task Serve_NoAuthOnPublicAddress_RefusedWithReason()
    {
        var r = await RunAsync(["serve", "--no-auth", "--host", "0.0.0.0", "--port", "0"], null);
        Assert.Equal(64, r.Code);
        Assert.Contains("without authentication", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_FirstStart_PrintsRootKeyOnce_KeyRequiredAndKeptAcrossRestart()
    {
        var data = Path.Combine(_dir, "serve");
        using var http = new HttpClient();
        string key;
        await using (var serve = VaaniProcess.Start(new Dictionary<string, string>(), "serve", "--port", "0", "--control-port", "0", "--data-dir", data, "--only-pools", "--pools", "tts", "--tts-workers", "1", "--drain-grace", "1"))
        {
            key = await serve.WaitForAsync(@"export VAANI_API_KEY=(\S+)", TimeSpan.FromSeconds(60));
            var url = new Uri(await serve.WaitForAsync(@"vaani: listening on (http://[0-9.:]+)", TimeSpan.FromSeconds(90)));
            Assert.Equal((401, "missing_credentials"), await StatusAsync(http, url, null));
            Assert.Equal((200, null), await StatusAsync(http, url, key));

            // Its worker runs socket completions on the thread pool with the runtime's own epoll
            // thread count: serve sized the count for its own event loop, not for the workers.
            Assert.Null(Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"));
            var worker = Directory.GetDirectories($"/proc/{serve.Pid}/task")
                .SelectMany(task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Select(pid => File.ReadAllText($"/proc/{pid}/environ").Split('\0'))
                .Single(environment => environment.Contains("VAANI_WORKER_WATCH_STDIN=1"));
            Assert.Contains("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0", worker);
            Assert.Contains("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT=", worker);
        }

        await using (var again = VaaniProcess.Start(new Dictionary<string, string>(), "serve", "--port", "0", "--control-port", "0", "--data-dir", data, "--only-pools", "--pools", "tts", "--tts-workers", "1", "--drain-grace", "1"))
        {
            var url = new Uri(await again.WaitForAsync(@"vaani: listening on (http://[0-9.:]+)", TimeSpan.FromSeconds(90)));
            Assert.DoesNotContain("export VAANI_API_KEY", again.Log, StringComparison.Ordinal);
            Assert.Equal((200, null), await StatusAsync(http, url, key));
        }

        static async Task<(int, string?)> StatusAsync(HttpClient http, Uri url, string? key)
        {
            var r = await Wire.TtsAsync(http, url, "hello", key is null ? null : "Token " + key);
            return (r.Status, r.ErrorCode);
        }
    }

    [Fact]
    public async Task Control_AdminKeyRate_HoldsOneKeyToItsBurstThen429WithRetryAfter()
    {
        await using var control = VaaniProcess.Start(new Dictionary<string, string> { ["VAANI_API_KEY"] = _root },
            "control", "--port", "0", "--data-dir", Path.Combine(_dir, "rated"), "--admin-key-rate", "1:2");
        var url = new Uri(await control.WaitForAsync(@"control plane listening on (http://[0-9.:]+)", TimeSpan.FromSeconds(60)));
        using var http = new HttpClient();

        var answers = new List<(int Status, string? RetryAfter)>();
        for (var i = 0; i < 6; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, "/admin/v1/tenants"));
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Token", _root);
            using var response = await http.SendAsync(request);
            answers.Add(((int)response.StatusCode, response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        // A burst of 2, then 1 per second: the requests after the first two are refused, except at
        // most one let through by a refill that happens to fall between them.
        Assert.Equal([200, 200], answers.Take(2).Select(a => a.Status));
        var refused = answers.Where(a => a.Status == 429).ToList();
        Assert.True(refused.Count >= 3, string.Join(", ", answers));
        Assert.All(refused, a => Assert.Equal("1", a.RetryAfter));
    }

    [Theory]
    [InlineData("--admin-key-rate", "0", "whole requests per second ≥ 1")]
    [InlineData("--admin-key-rate", "fast", "expected RATE[:BURST]")]
    [InlineData("--admin-address-rate", "100:50", "BURST (50) may not be below RATE (100)")]
    [InlineData("--admin-address-rate", "100:x", "BURST must be a whole number")]
    public async Task Control_BadAdminRate_RefusedWithReasonBeforeStarting(string option, string value, string message)
    {
        var r = await RunAsync(["control", "--port", "0", "--data-dir", Path.Combine(_dir, "bad-rate"), option, value], null);
        Assert.Equal(64, r.Code);
        Assert.Contains($"{option} '{value}'", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "bad-rate")));
    }

    private Task<(int Code, string Stdout, string Stderr)> AdminAsync(params string[] args)
        => RunAsync(["admin", "--url", _url, .. args], new Dictionary<string, string> { ["VAANI_ADMIN_KEY"] = _root });

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string[] args, Dictionary<string, string>? env)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(RepoPaths.VaaniDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("VAANI_ADMIN_KEY");
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    public async Task DisposeAsync()
    {
        if (_control is not null) await _control.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
