using System.Buffers;
using Vaani.Audio;
using Vaani.Audio.Conversion;
using Vaani.Engines;
using Vaani.Engines.PocketSphinx;
using Vaani.Speech.Streaming;

namespace Vaani.Speech.Tests.Streaming;

/// <summary>
/// A μ-law 8 kHz client stream through the session core into the real PocketSphinx engine: the
/// session folds it when told to (as the gateway does from the engine's capabilities).
/// </summary>
public sealed class SttStreamSessionNarrowbandTests : IAsyncLifetime
{
    private PocketSphinxEngine _engine = null!;

    public async Task InitializeAsync() =>
        _engine = await PocketSphinxEngine.CreateAsync(new PocketSphinxOptions { PoolSize = 1 }, CancellationToken.None);

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task Session_Mulaw8kWithFolding_GoForwardWithWordsAndPartials()
    {
        var events = await RunAsync(foldNarrowband: _engine.Capabilities.FoldNarrowbandInput);

        var finals = events.OfType<SttFinal>().Where(f => f.Text.Length > 0).ToList();
        Assert.Equal("go forward ten meters", string.Join(' ', finals.Select(f => f.Text)));
        Assert.Equal(["go", "forward", "ten", "meters"], finals.SelectMany(f => f.Words).Select(w => w.Word));
        int firstPartial = events.FindIndex(e => e is SttPartial), firstFinal = events.FindIndex(e => e is SttFinal { Text.Length: > 0 });
        Assert.True(firstPartial >= 0 && firstPartial < firstFinal, string.Join(", ", events));
    }

    [Fact]
    public async Task Session_Mulaw8kWithoutFolding_NotRecognised()
    {
        var events = await RunAsync(foldNarrowband: false);
        Assert.NotEqual("go forward ten meters", string.Join(' ', events.OfType<SttFinal>().Select(f => f.Text).Where(t => t.Length > 0)));
    }

    private async Task<List<SttEvent>> RunAsync(bool foldNarrowband)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var mulaw = GoForwardMulaw8k();
        var options = new SttSessionOptions { InterimResults = true, InterimInterval = TimeSpan.FromMilliseconds(100) };
        await using var session = new SttStreamSession(ct => _engine.StartSessionAsync(options, ct),
            AudioFormat.Mulaw(8000), _engine.Capabilities.NativeFormat, foldNarrowband: foldNarrowband);
        await session.StartAsync(cts.Token);
        var reader = Task.Run(async () =>
        {
            var list = new List<SttEvent>();
            await foreach (var e in session.Events.ReadAllAsync(cts.Token))
                list.Add(e);
            return list;
        }, cts.Token);
        for (int pos = 0; pos < mulaw.Length; pos += 160) // 20 ms frames
            await session.SendAudioAsync(mulaw.AsMemory(pos, Math.Min(160, mulaw.Length - pos)), cts.Token);
        await session.CompleteAsync(cts.Token);
        return await reader;
    }

    /// <summary>goforward.raw (16 kHz) as a telephone line delivers it: band-limited to 8 kHz, μ-law.</summary>
    private static byte[] GoForwardMulaw8k()
    {
        var pcm = File.ReadAllBytes("/usr/share/pocketsphinx/test/data/goforward.raw");
        var converter = new AudioConverter(AudioFormat.Linear16(16000), AudioFormat.Mulaw(8000));
        var output = new ArrayBufferWriter<byte>(pcm.Length / 4 + 1024);
        converter.Convert(pcm, output);
        converter.Flush(output);
        return output.WrittenSpan.ToArray();
    }
}
