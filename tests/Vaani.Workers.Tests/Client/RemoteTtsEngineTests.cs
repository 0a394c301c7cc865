using Vaani.Engines;
using Vaani.Engines.Passthrough;
using Vaani.Workers.Client;
using Vaani.Workers.Tests.Infrastructure;

namespace Vaani.Workers.Tests.Client;

public sealed class RemoteTtsEngineTests
{
    [Fact]
    public async Task SynthesizeAsync_PassthroughWorker_ReturnsEveryWordAndExactAudio()
    {
        await using var worker = await TestWorker.StartAsync("tts-passthrough");
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, null, CancellationToken.None);
        Assert.Null(connection.Stt);
        var text = string.Join(' ', Enumerable.Range(0, 100).Select(i => $"word{i}"));

        var words = new List<TtsWord>();
        using var audio = new MemoryStream();
        // 100 words × 6400 bytes = 640 000 bytes: more than twice the 256 KiB credit window.
        await foreach (var e in connection.Tts!.SynthesizeAsync(new TtsRequest { Text = text }, CancellationToken.None))
        {
            if (e is TtsWord w) words.Add(w);
            else if (e is TtsAudio a) audio.Write(a.Audio.Span);
        }

        Assert.Equal(100, words.Count);
        Assert.Equal("word99", words[^1].Word);
        Assert.Equal(TimeSpan.FromMilliseconds(200 * 99), words[^1].Start);
        var expected = Enumerable.Range(0, 100).SelectMany(PassthroughTtsEngine.Tone).ToArray();
        Assert.Equal(expected, audio.ToArray());
    }

    [Fact]
    public async Task SynthesizeAsync_CallerStopsEarly_RequestIsCancelledAndConnectionStaysUsable()
    {
        await using var worker = await TestWorker.StartAsync("tts-passthrough");
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, null, CancellationToken.None);
        var text = string.Join(' ', Enumerable.Range(0, 2000).Select(i => $"w{i}"));

        var taken = 0;
        await foreach (var e in connection.Tts!.SynthesizeAsync(new TtsRequest { Text = text }, CancellationToken.None))
        {
            if (++taken == 5)
                break;
        }
        // The worker releases the slot once it sees the Cancel.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (connection.Capacity.Active != 0)
        {
            deadline.Token.ThrowIfCancellationRequested();
            await Task.Yield();
        }

        var again = new List<TtsEvent>();
        await foreach (var e in connection.Tts.SynthesizeAsync(new TtsRequest { Text = "still here" }, deadline.Token))
            again.Add(e);
        Assert.Equal(2, again.OfType<TtsWord>().Count());
    }

    [Fact]
    public async Task SynthesizeAsync_SsmlOnPlainTextEngine_ThrowsWorkersPermanentError()
    {
        await using var worker = await TestWorker.StartAsync("tts-passthrough");
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, null, CancellationToken.None);

        var ex = await Assert.ThrowsAsync<EngineException>(async () =>
        {
            await foreach (var _ in connection.Tts!.SynthesizeAsync(new TtsRequest { Text = "<speak/>", IsSsml = true }, CancellationToken.None)) { }
        });

        Assert.Equal("unsupported_ssml", ex.Code);
        Assert.True(ex.IsPermanent);
        Assert.True(connection.IsAlive);
    }
}
