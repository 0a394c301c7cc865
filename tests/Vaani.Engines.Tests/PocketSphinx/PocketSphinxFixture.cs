using Vaani.Engines.PocketSphinx;

namespace Vaani.Engines.Tests.PocketSphinx;

/// <summary>One engine (two decoders) shared by the PocketSphinx tests; building decoders is the slow part.</summary>
public sealed class PocketSphinxFixture : IAsyncLifetime
{
    public PocketSphinxEngine Engine { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Engine = await PocketSphinxEngine.CreateAsync(new PocketSphinxOptions { PoolSize = 2, DecoderWait = TimeSpan.FromMinutes(1) }, CancellationToken.None);

    public async Task DisposeAsync() => await Engine.DisposeAsync();
}

/// <summary>Runs the PocketSphinx tests one class at a time: the machine's cores are shared.</summary>
[CollectionDefinition(Name)]
public sealed class PocketSphinxCollection : ICollectionFixture<PocketSphinxFixture>
{
    public const string Name = "pocketsphinx";
}
