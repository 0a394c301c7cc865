using Vaani.Engines.PocketSphinx;

namespace Vaani.Engines.Tests.PocketSphinx;

/// <summary>An engine with exactly one decoder, so consecutive sessions are guaranteed to reuse it.</summary>
public sealed class SingleDecoderFixture : IAsyncLifetime
{
    public PocketSphinxEngine Engine { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Engine = await PocketSphinxEngine.CreateAsync(new PocketSphinxOptions { PoolSize = 1, DecoderWait = TimeSpan.FromMinutes(1) }, CancellationToken.None);

    public async Task DisposeAsync() => await Engine.DisposeAsync();
}
