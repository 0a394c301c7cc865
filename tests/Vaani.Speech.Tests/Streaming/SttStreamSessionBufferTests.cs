using Vaani.Audio;
using Vaani.Engines;
using Vaani.Engines.PocketSphinx;
using Vaani.Speech.Streaming;

namespace Vaani.Speech.Tests.Streaming;

/// <summary>
/// <see cref="SttStreamSession.SendAudioAsync"/> lets the caller reuse its buffer as soon as the call
/// returns (the gateway's receive buffer goes back to the pool at once). A caller that scribbles over
/// its one buffer the moment each call returns, and sends faster than the engine decodes so commands
/// pile up in the queue, must still get the exact transcript from the real engine: a queued command
/// that still pointed into the caller's buffer would hand the engine noise.
/// </summary>
public sealed class SttStreamSessionBufferTests : IAsyncLifetime
{
    private PocketSphinxEngine _engine = null!;

    public async Task InitializeAsync() =>
        _engine = await PocketSphinxEngine.CreateAsync(new PocketSphinxOptions { PoolSize = 1 }, CancellationToken.None);

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Theory]
    [InlineData(640)]    // 20 ms frames, as real-time clients send
    [InlineData(3200)]   // 100 ms frames
    public async Task Session_CallerReusesOneBufferWhileCommandsQueue_TranscriptIntact(int frameBytes)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var pcm = File.ReadAllBytes("/usr/share/pocketsphinx/test/data/goforward.raw");
        await using var session = new SttStreamSession(ct => _engine.StartSessionAsync(new SttSessionOptions(), ct),
            AudioFormat.Linear16(16000), _engine.Capabilities.NativeFormat);
        await session.StartAsync(cts.Token);
        var reader = Task.Run(async () =>
        {
            var list = new List<SttEvent>();
            await foreach (var e in session.Events.ReadAllAsync(cts.Token))
                list.Add(e);
            return list;
        }, cts.Token);

        var buffer = new byte[frameBytes];
        var noise = new Random(7);
        for (int pos = 0; pos < pcm.Length; pos += frameBytes)
        {
            int n = Math.Min(frameBytes, pcm.Length - pos);
            pcm.AsSpan(pos, n).CopyTo(buffer);
            await session.SendAudioAsync(buffer.AsMemory(0, n), cts.Token);
            noise.NextBytes(buffer);   // the caller's buffer is its own again
        }
        await session.CompleteAsync(cts.Token);
        var events = await reader;

        var text = string.Join(' ', events.OfType<SttFinal>().Select(f => f.Text).Where(t => t.Length > 0));
        Assert.Equal("go forward ten meters", text);
        Assert.Equal(pcm.Length / 32000.0, session.AudioSeconds, 3);
    }
}
