using Vaani.Engines;
using Vaani.Workers.Client;
using Vaani.Workers.Tests.Infrastructure;

namespace Vaani.Workers.Tests.Client;

public sealed class RemoteSttEngineTests
{
    private static async Task<List<SttEvent>> RunSessionAsync(ISpeechToTextEngine engine, byte[] audio, int chunk, bool finalizeMidway)
    {
        await using var session = await engine.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);
        var reading = Task.Run(async () =>
        {
            var list = new List<SttEvent>();
            await foreach (var e in session.ReadEventsAsync(CancellationToken.None))
                list.Add(e);
            return list;
        });
        var half = audio.Length / 2 / chunk * chunk;
        foreach (var piece in TestAudio.Chunks(audio[..half], chunk))
            await session.SendAudioAsync(piece, CancellationToken.None);
        if (finalizeMidway)
            await session.FinalizeAsync(CancellationToken.None);
        foreach (var piece in TestAudio.Chunks(audio[half..], chunk))
            await session.SendAudioAsync(piece, CancellationToken.None);
        await session.CompleteAsync(CancellationToken.None);
        return await reading.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task StartSession_StreamedAudioWithFinalize_ReturnsOneWordPerSecondAcrossFinals()
    {
        await using var worker = await TestWorker.StartAsync();
        await using var connection = await WorkerConnection.ConnectAsync(worker.SocketPath, null, CancellationToken.None);
        Assert.Equal("stt-passthrough", connection.Hello.Pool);
        Assert.Equal(worker.Process.Id, connection.Hello.Pid);

        // 5.5 s in odd-sized chunks: finalize at 2.75 s, complete at 5.5 s.
        var events = await RunSessionAsync(connection.Stt!, TestAudio.Linear16(5.5), chunk: 1234, finalizeMidway: true);

        var finals = events.OfType<SttFinal>().ToList();
        Assert.Equal(2, finals.Count);
        Assert.Equal("w0 w1", finals[0].Text);
        Assert.Equal("w2 w3 w4", finals[1].Text);
        Assert.Equal(TimeSpan.FromSeconds(2), finals[1].Words[0].Start);
        Assert.Equal(TimeSpan.FromSeconds(5), finals[1].Words[^1].End);
        Assert.Equal(finals[0].End, finals[1].Start);
        Assert.Equal(TimeSpan.FromSeconds(5.5), finals[1].End);
        Assert.All(finals, f => Assert.True(f.FromFinalize));
        Assert.Equal(11, events.OfType<SttPartial>().Count()); // one per 0.5 s of audio
    }
}
