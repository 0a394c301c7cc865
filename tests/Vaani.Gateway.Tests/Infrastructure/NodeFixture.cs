using Vaani.Testing;
using Vaani.Gateway.Hosting;
using Vaani.Workers.Supervision;

namespace Vaani.Gateway.Tests.Infrastructure;

/// <summary>
/// One real node for the test collection: gateway on 127.0.0.1:0 with real worker processes
/// (PocketSphinx stt-en with 2 decoders, eSpeak NG tts, passthrough stt).
/// </summary>
public sealed class NodeFixture : IAsyncLifetime
{
    public LocalNode Node { get; private set; } = null!;
    public Uri BaseUri => Node.BaseUri;
    public Uri WsUri(string pathAndQuery) => new($"ws://{BaseUri.Authority}{pathAndQuery}");

    public static LocalNodeOptions Options(GatewayOptions? gateway = null) => new()
    {
        Gateway = gateway ?? new GatewayOptions { Port = 0, IdleTimeout = TimeSpan.FromSeconds(30), FlushTimeout = TimeSpan.FromSeconds(20) },
        Launch = WorkerLaunchSpec.ForVaani(RepoPaths.VaaniDll) with { Environment = new Dictionary<string, string> { ["VAANI_STT_DECODERS"] = "2" } },
        Pools = [("stt-en", 1), ("tts", 1)],
        Backoff = new BackoffPolicy { Initial = TimeSpan.FromMilliseconds(100) },
    };

    public async Task InitializeAsync() => Node = await LocalNode.StartAsync(Options(), CancellationToken.None);

    public async Task DisposeAsync() => await Node.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class NodeCollection : ICollectionFixture<NodeFixture>
{
    public const string Name = "node";
}
