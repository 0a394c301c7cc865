using Vaani.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using Vaani.Control.Domain;
using Vaani.Control.Keys;
using Vaani.MultiNode.Tests.Support;

namespace Vaani.MultiNode.Tests;

/// <summary>
/// Multi-node mode with real processes on one machine: <c>vaani control</c> and
/// <c>vaani gateway --control URL</c> (with its own worker processes). The control process is
/// stopped and the gateway crashed while sessions run and usage is pending.
/// </summary>
public sealed class MultiNodeProcessTests(PostgresServer postgres) : IClassFixture<PostgresServer>, IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vaani-mnp-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string _root = ApiKeySecret.Generate(ApiKeyId.New());
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly List<VaaniProcess> _processes = [];

    [Fact]
    public async Task ControlStoppedMidSession_StreamContinues_NewSessionAdmitted_LedgerExactAfterReturn()
    {
        var controlPort = FreePort();
        var control = await StartControlAsync(controlPort, store: null);
        var (gatewayProcess, gateway) = await StartGatewayAsync(controlPort, Path.Combine(_dir, "spool"), "stt-en", listenStore: null);
        var key = await CreateTenantKeyAsync(control, "acme", "stt");
        await WaitUntilKnownAsync(gateway, key);
        var audio = RepoPaths.GoForward();

        // Session 1: the control process dies a second into the stream.
        using var first = await Wire.ConnectSttAsync(gateway, "Token " + key);
        var (text1, seconds1) = await Wire.RunSttAsync(first, audio, pauseAtFrame: 10, atPause: async () =>
        {
            await _processes[0].KillAsync();
            await Assert.ThrowsAsync<HttpRequestException>(() => _http.GetAsync(new Uri(control, "/healthz")));
        });
        Assert.Contains("forward", text1, StringComparison.Ordinal);
        Assert.Equal(audio.Length / 32000.0, seconds1, 2);

        // Session 2, a known key while control is down: admitted and served.
        using var second = await Wire.ConnectSttAsync(gateway, "Token " + key);
        var (text2, seconds2) = await Wire.RunSttAsync(second, audio);
        Assert.Contains("forward", text2, StringComparison.Ordinal);
        var ready = await ReadyAsync(gateway);
        Assert.True(ready.GetProperty("control").GetProperty("snapshot_age_seconds").GetDouble() >= 0);
        await Wire.PollAsync(async () => (await ReadyAsync(gateway)).GetProperty("control").GetProperty("usage_pending_bytes").GetInt64() > 0,
            TimeSpan.FromSeconds(10), "usage of both sessions spooled while control is down");

        // Control returns on the same address: the spooled events arrive, each exactly once.
        control = await StartControlAsync(controlPort, store: null);
        await WaitForLedgerAsync(control, "acme", events: 2, audioSeconds: seconds1 + seconds2, characters: 0);
        await Wire.PollAsync(async () => (await ReadyAsync(gateway)).GetProperty("control").GetProperty("usage_pending_bytes").GetInt64() == 0,
            TimeSpan.FromSeconds(20), "the spool fully acknowledged");
        await WaitForLedgerAsync(control, "acme", events: 2, audioSeconds: seconds1 + seconds2, characters: 0);
        Assert.False(gatewayProcess.HasExited);
    }

    [Fact]
    public async Task GatewayKilledWithSpooledUsage_RestartedOnSameSpool_LedgerExact_OnPostgres()
    {
        var database = await postgres.CreateDatabaseAsync();
        Assert.NotNull(database); // VAANI_SKIP_POSTGRES=1 is not honoured here: multi-node mode is PostgreSQL's job.
        var b = new NpgsqlConnectionStringBuilder(database);
        var storeUrl = $"postgres://{b.Username}@{b.Host}:{b.Port}/{b.Database}";
        var controlPort = FreePort();
        var spool = Path.Combine(_dir, "spool-crash");
        var control = await StartControlAsync(controlPort, storeUrl);
        var (gatewayProcess, gateway) = await StartGatewayAsync(controlPort, spool, "tts", listenStore: storeUrl);
        var key = await CreateTenantKeyAsync(control, "crash", "tts");
        await WaitUntilKnownAsync(gateway, key);

        string[] texts = ["First delivered sentence.", "Second one, spooled while control is away.", "Third one, also spooled."];
        Assert.Equal(200, (await Wire.TtsAsync(_http, gateway, texts[0], "Token " + key)).Status);
        await WaitForLedgerAsync(control, "crash", events: 1, audioSeconds: null, characters: texts[0].Length);

        await _processes.First(p => p != gatewayProcess).KillAsync();
        Assert.Equal(200, (await Wire.TtsAsync(_http, gateway, texts[1], "Token " + key)).Status);
        Assert.Equal(200, (await Wire.TtsAsync(_http, gateway, texts[2], "Token " + key)).Status);
        await Wire.PollAsync(() => Task.FromResult(Directory.GetFiles(spool, "usage-*.jsonl").Sum(f => File.ReadAllLines(f).Length) >= 3),
            TimeSpan.FromSeconds(10), "three events in the spool");

        // Crash: SIGKILL the gateway with two undelivered events on disk.
        await gatewayProcess.KillAsync();
        control = await StartControlAsync(controlPort, storeUrl);
        var (_, restarted) = await StartGatewayAsync(controlPort, spool, "tts", listenStore: storeUrl);
        var total = texts.Sum(t => t.Length);
        await WaitForLedgerAsync(control, "crash", events: 3, audioSeconds: null, characters: total);
        await Wire.PollAsync(async () => (await ReadyAsync(restarted)).GetProperty("control").GetProperty("usage_pending_bytes").GetInt64() == 0,
            TimeSpan.FromSeconds(20), "the spool fully acknowledged after the restart");
        await WaitForLedgerAsync(control, "crash", events: 3, audioSeconds: null, characters: total);
    }

    private async Task<Uri> StartControlAsync(int port, string? store)
    {
        var args = new List<string> { "control", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", Path.Combine(_dir, "control") };
        if (store is not null) args.AddRange(["--store", store]);
        var process = VaaniProcess.Start(new Dictionary<string, string> { ["VAANI_API_KEY"] = _root }, [.. args]);
        _processes.Add(process);
        return new Uri(await process.WaitForAsync(@"control plane listening on (http://[0-9.:]+)", StartTimeout) + "/");
    }

    private async Task<(VaaniProcess Process, Uri Url)> StartGatewayAsync(int controlPort, string spool, string pool, string? listenStore)
    {
        var args = new List<string>
        {
            "gateway", "--control", $"http://127.0.0.1:{controlPort}", "--port", "0", "--spool-dir", spool, "--data-dir", Path.Combine(_dir, "gateway"),
            "--refresh-interval", "0.5", "--only-pools", "--pools", pool, "--tts-workers", "1", "--drain-grace", "1",
        };
        if (listenStore is not null) args.AddRange(["--listen-store", listenStore]);
        // The gateway runs with an edge key (snapshot and usage delivery only), as docs/control-plane.md advises.
        var (status, edge) = await Wire.AdminAsync(_http, new Uri($"http://127.0.0.1:{controlPort}/"), _root, HttpMethod.Post, "tenants/default/keys",
            new { name = "gateway-" + Guid.NewGuid().ToString("N")[..6], scopes = new[] { "edge" } });
        Assert.Equal(201, status);
        var process = VaaniProcess.Start(new Dictionary<string, string> { ["VAANI_CONTROL_KEY"] = edge.GetProperty("secret").GetString()! }, [.. args]);
        _processes.Add(process);
        return (process, new Uri(await process.WaitForAsync(@"vaani: listening on (http://[0-9.:]+)", StartTimeout) + "/"));
    }

    private async Task<string> CreateTenantKeyAsync(Uri control, string tenant, string scope)
    {
        Assert.Equal(201, (await Wire.AdminAsync(_http, control, _root, HttpMethod.Post, "tenants", new { id = tenant, name = tenant })).Status);
        var (status, body) = await Wire.AdminAsync(_http, control, _root, HttpMethod.Post, $"tenants/{tenant}/keys", new { name = "app", scopes = new[] { scope } });
        Assert.Equal(201, status);
        return body.GetProperty("secret").GetString()!;
    }

    /// <summary>Waits until the gateway's snapshot holds <paramref name="key"/> (probe: token issuance, which needs no session).</summary>
    private async Task WaitUntilKnownAsync(Uri gateway, string key) => await Wire.PollAsync(async () =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway, "/v1/auth/token")) { Content = JsonContent.Create(new { ttl_seconds = 60 }) };
        request.Headers.TryAddWithoutValidation("Authorization", "Token " + key);
        using var response = await _http.SendAsync(request);
        return response.StatusCode == HttpStatusCode.OK;
    }, TimeSpan.FromSeconds(15), "the gateway to learn the new key");

    private async Task<JsonElement> ReadyAsync(Uri gateway)
    {
        using var response = await _http.GetAsync(new Uri(gateway, "/readyz"));
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Polls the ledger (admin API) until it holds exactly these totals; fails on the deadline with what it saw.</summary>
    private async Task WaitForLedgerAsync(Uri control, string tenant, long events, double? audioSeconds, long characters)
    {
        string last = "";
        try
        {
            await Wire.PollAsync(async () =>
            {
                var (status, body) = await Wire.AdminAsync(_http, control, _root, HttpMethod.Get, $"tenants/{tenant}/usage?period=month");
                last = body.ToString();
                if (status != 200) return false;
                var buckets = body.GetProperty("buckets").EnumerateArray().ToList();
                var e = buckets.Sum(x => x.GetProperty("events").GetInt64());
                var s = buckets.Sum(x => x.GetProperty("audio_seconds").GetDouble());
                var c = buckets.Sum(x => x.GetProperty("characters").GetInt64());
                if (e > events) throw new InvalidOperationException($"the ledger holds {e} events, more than the {events} recorded: {last}");
                return e == events && c == characters && (audioSeconds is null || Math.Abs(s - audioSeconds.Value) < 0.01);
            }, TimeSpan.FromSeconds(30), $"{events} events in the ledger of {tenant}");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; last answer: {last}", ex);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _processes.Count - 1; i >= 0; i--) await _processes[i].DisposeAsync();
        _http.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
