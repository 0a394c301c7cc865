using Vaani.Testing;
using Vaani.Control.Keys;
using Vaani.Control.Domain;
using Vaani.Control.Snapshots;
using Vaani.Control.Usage;
using Vaani.Gateway.Control;
using Vaani.Gateway.Hosting;
using Vaani.Workers.Supervision;

namespace Vaani.MultiNode.Tests.Support;

/// <summary>
/// <c>vaani serve</c> in-process: a control server on a SQLite file (admin API on 127.0.0.1:0),
/// a gateway authenticating against its snapshot, and real worker processes (PocketSphinx stt-en
/// with 2 decoders, eSpeak NG tts).
/// </summary>
public sealed class ControlledNodeFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vaani-mn-" + Guid.NewGuid().ToString("N")[..10]);

    public ControlServer Control { get; private set; } = null!;

    public EdgeControl Edge { get; private set; } = null!;

    public LocalNode Node { get; private set; } = null!;

    /// <summary>The root key (admin + stt + tts on the default tenant).</summary>
    public string RootKey { get; } = ApiKeySecret.Generate(ApiKeyId.New());

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public Uri GatewayUri => Node.BaseUri;

    public Uri ControlUri => Control.BaseUri;

    public async Task InitializeAsync()
    {
        Control = await ControlServer.StartAsync(new ControlServerOptions
        {
            Port = 0,
            Store = ControlStoreSpec.Parse(null, _dir),
            RootKey = RootKey,
        }, CancellationToken.None);
        Edge = await EdgeControl.StartAsync(new EdgeControlOptions
        {
            Loader = new StoreSnapshotLoader(Control.Store),
            Sink = new StoreUsageSink(Control.Store),
            SpoolDirectory = Path.Combine(_dir, "spool"),
            TokenSigningKey = new byte[32],
            Delivery = new UsageDeliveryOptions { PollInterval = TimeSpan.FromMilliseconds(200) },
        }, TimeSpan.FromSeconds(10));
        Node = await LocalNode.StartAsync(new LocalNodeOptions
        {
            Gateway = new GatewayOptions { Port = 0, IdleTimeout = TimeSpan.FromSeconds(10), FlushTimeout = TimeSpan.FromSeconds(20), DrainGrace = TimeSpan.FromSeconds(2) },
            Launch = WorkerLaunchSpec.ForVaani(RepoPaths.VaaniDll) with { Environment = new Dictionary<string, string> { ["VAANI_STT_DECODERS"] = "2" } },
            Pools = [("stt-en", 1), ("tts", 1)],
            Backoff = new BackoffPolicy { Initial = TimeSpan.FromMilliseconds(100) },
            Control = Edge,
        }, CancellationToken.None);
    }

    /// <summary>
    /// Loads a fresh snapshot now (what the background refresh does within seconds). A load already
    /// in flight (the background refresh, or one an admission asked for) may have read the store
    /// before the caller's change, and <c>RefreshAsync</c> returns false without loading while it
    /// runs; so this retries until a load of its own succeeds, failing on a load error.
    /// </summary>
    public async Task RefreshAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await Edge.Snapshots.RefreshAsync())
        {
            Assert.True(Edge.Snapshots.LastError is null, Edge.Snapshots.LastError?.ToString());
            Assert.True(DateTime.UtcNow < deadline, "no snapshot load of its own succeeded within 10 s");
            await Task.Delay(20);
        }
    }

    /// <summary>Creates a tenant with the given quotas and one key per scope set; returns the secrets.</summary>
    public async Task<string[]> TenantAsync(string tenant, TenantQuotas? quotas, params string[][] scopeSets)
    {
        var (status, _) = await Wire.AdminAsync(Http, ControlUri, RootKey, HttpMethod.Post, "tenants", new { id = tenant, name = tenant });
        Assert.Equal(201, status);
        if (quotas is not null)
            Assert.Equal(200, (await Wire.AdminAsync(Http, ControlUri, RootKey, HttpMethod.Put, $"tenants/{tenant}/quotas", quotas)).Status);
        var secrets = new List<string>();
        foreach (var scopes in scopeSets)
        {
            var (s, body) = await Wire.AdminAsync(Http, ControlUri, RootKey, HttpMethod.Post, $"tenants/{tenant}/keys", new { name = string.Join("-", scopes), scopes });
            Assert.Equal(201, s);
            secrets.Add(body.GetProperty("secret").GetString()!);
        }

        await RefreshAsync();
        return [.. secrets];
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await Edge.DisposeAsync();
        await Control.DisposeAsync();
        Http.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class ControlledNodeCollection : ICollectionFixture<ControlledNodeFixture>
{
    public const string Name = "controlled-node";
}
