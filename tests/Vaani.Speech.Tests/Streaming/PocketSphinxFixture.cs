using Vaani.Engines.PocketSphinx;

namespace Vaani.Speech.Tests.Streaming;

/// <summary>One real PocketSphinx engine per test class, with two decoders so a session can be re-placed while the first is still being released.</summary>
public sealed class PocketSphinxFixture : IAsyncLifetime
{
    /// <summary>Recorded speech from pocketsphinx-testdata: "go forward ten meters", 16 kHz linear16.</summary>
    public const string GoForward = "/usr/share/pocketsphinx/test/data/goforward.raw";

    public PocketSphinxEngine Engine { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Engine = await PocketSphinxEngine.CreateAsync(new PocketSphinxOptions { PoolSize = 2 }, CancellationToken.None);

    public async Task DisposeAsync() => await Engine.DisposeAsync();
}
