using System.Buffers;
using Vaani.Audio;
using Vaani.Audio.Conversion;
using Vaani.Engines;
using Vaani.Engines.PocketSphinx;
using Vaani.Speech.Streaming;

namespace Vaani.Speech.Tests.Streaming;

/// <summary>The session core in front of the real PocketSphinx engine, fed goforward.raw.</summary>
public sealed class SttStreamSessionTests(PocketSphinxFixture fixture) : IClassFixture<PocketSphinxFixture>
{
    private const string GoForward = PocketSphinxFixture.GoForward;
    private readonly PocketSphinxEngine _engine = fixture.Engine;

    // A μ-law 8 kHz client stream: the session folds it when told to (as the gateway does from the
    // engine's capabilities).

    [Fact]
    public async Task Session_Mulaw8kWithFolding_GoForwardWithWordsAndPartials()
    {
        var (events, _) = await RunAsync(AudioFormat.Mulaw(8000), GoForwardMulaw8k(), 160, foldNarrowband: _engine.Capabilities.FoldNarrowbandInput);

        var finals = events.OfType<SttFinal>().Where(f => f.Text.Length > 0).ToList();
        Assert.Equal("go forward ten meters", string.Join(' ', finals.Select(f => f.Text)));
        Assert.Equal(["go", "forward", "ten", "meters"], finals.SelectMany(f => f.Words).Select(w => w.Word));
        int firstPartial = events.FindIndex(e => e is SttPartial), firstFinal = events.FindIndex(e => e is SttFinal { Text.Length: > 0 });
        Assert.True(firstPartial >= 0 && firstPartial < firstFinal, string.Join(", ", events));
    }

    [Fact]
    public async Task Session_Mulaw8kWithoutFolding_NotRecognised()
    {
        var (events, _) = await RunAsync(AudioFormat.Mulaw(8000), GoForwardMulaw8k(), 160, foldNarrowband: false);
        Assert.NotEqual("go forward ten meters", string.Join(' ', events.OfType<SttFinal>().Select(f => f.Text).Where(t => t.Length > 0)));
    }

    /// <summary>
    /// <see cref="SttStreamSession.SendAudioAsync"/> lets the caller reuse its buffer as soon as the
    /// call returns (the gateway's receive buffer goes back to the pool at once). A caller that
    /// scribbles over its one buffer the moment each call returns, sending faster than the engine
    /// decodes so commands pile up, must still get the exact transcript: a queued command that still
    /// pointed into the caller's buffer would hand the engine noise.
    /// </summary>
    [Theory]
    [InlineData(640)]    // 20 ms frames, as real-time clients send
    [InlineData(3200)]   // 100 ms frames
    public async Task Session_CallerReusesOneBufferWhileCommandsQueue_TranscriptIntact(int frameBytes)
    {
        var pcm = File.ReadAllBytes(GoForward);
        var noise = new Random(7);
        var (events, audioSeconds) = await RunAsync(AudioFormat.Linear16(16000), pcm, frameBytes, foldNarrowband: false,
            afterSend: buffer => noise.NextBytes(buffer));

        Assert.Equal("go forward ten meters", string.Join(' ', events.OfType<SttFinal>().Select(f => f.Text).Where(t => t.Length > 0)));
        Assert.Equal(pcm.Length / 32000.0, audioSeconds, 3);
    }

    /// <summary>Streams <paramref name="audio"/> through one buffer of <paramref name="frameBytes"/>
    /// as fast as accepted; returns the events and the session's audio seconds.</summary>
    private async Task<(List<SttEvent> Events, double AudioSeconds)> RunAsync(
        AudioFormat format, byte[] audio, int frameBytes, bool foldNarrowband, Action<byte[]>? afterSend = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var options = new SttSessionOptions { InterimResults = true, InterimInterval = TimeSpan.FromMilliseconds(100) };
        await using var session = new SttStreamSession(ct => _engine.StartSessionAsync(options, ct),
            format, _engine.Capabilities.NativeFormat, foldNarrowband: foldNarrowband);
        await session.StartAsync(cts.Token);
        var reader = Task.Run(async () =>
        {
            var list = new List<SttEvent>();
            await foreach (var e in session.Events.ReadAllAsync(cts.Token))
                list.Add(e);
            return list;
        }, cts.Token);
        var buffer = new byte[frameBytes];
        for (int pos = 0; pos < audio.Length; pos += frameBytes)
        {
            int n = Math.Min(frameBytes, audio.Length - pos);
            audio.AsSpan(pos, n).CopyTo(buffer);
            await session.SendAudioAsync(buffer.AsMemory(0, n), cts.Token);
            afterSend?.Invoke(buffer);
        }
        await session.CompleteAsync(cts.Token);
        return (await reader, session.AudioSeconds);
    }

    /// <summary>goforward.raw (16 kHz) as a telephone line delivers it: band-limited to 8 kHz, μ-law.</summary>
    private static byte[] GoForwardMulaw8k()
    {
        var pcm = File.ReadAllBytes(GoForward);
        var converter = new AudioConverter(AudioFormat.Linear16(16000), AudioFormat.Mulaw(8000));
        var output = new ArrayBufferWriter<byte>(pcm.Length / 4 + 1024);
        converter.Convert(pcm, output);
        converter.Flush(output);
        return output.WrittenSpan.ToArray();
    }
}
