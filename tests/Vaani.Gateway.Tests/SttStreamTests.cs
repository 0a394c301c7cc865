using Vaani.Testing;
using System.Net.WebSockets;
using System.Text.Json;
using Vaani.Gateway.Tests.Infrastructure;

namespace Vaani.Gateway.Tests;

[Collection(NodeCollection.Name)]
public sealed class SttStreamTests(NodeFixture fixture)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    internal static string FinalText(WsClient c) =>
        string.Join(' ', c.OfType("transcript.final").Select(f => f.GetProperty("text").GetString()).Where(t => !string.IsNullOrEmpty(t)));

    internal static List<(string Word, double Start, double End)> Words(WsClient c) =>
        c.OfType("transcript.final").SelectMany(f => f.GetProperty("words").EnumerateArray())
            .Select(w => (w.GetProperty("word").GetString()!, w.GetProperty("start").GetDouble(), w.GetProperty("end").GetDouble())).ToList();

    [Theory]
    [InlineData("linear16", 16000, "-e signed -b 16", 640)]
    [InlineData("mulaw", 16000, "-e u-law -b 8", 320)]
    [InlineData("linear16", 48000, "-e signed -b 16", 1920)]
    public async Task Stream_GoForwardAtRealTimePace_PartialsThenFinalWithWordTimings(string encoding, int rate, string soxArgs, int frameBytes)
    {
        var audio = TestAudio.GoForwardAs(soxArgs, rate);
        await using var c = await WsClient.ConnectAsync(fixture.WsUri($"/v1/stt/stream?encoding={encoding}&sample_rate={rate}"));
        var started = await c.WaitForTypeAsync("session.started", Long);
        Assert.NotNull(started);
        Assert.Equal(rate, started.Value.GetProperty("format").GetProperty("sample_rate").GetInt32());

        await c.SendAudioAsync(audio, frameBytes, bytesPerSecond: frameBytes * 50);
        await c.SendJsonAsync(new { type = "close" });
        Assert.True(await c.WaitClosedAsync(Long), "the server did not close after flushing");

        Assert.Equal(WebSocketCloseStatus.NormalClosure, c.CloseStatus);
        Assert.Equal("go forward ten meters", FinalText(c));
        var types = c.Messages.Select(m => m.GetProperty("type").GetString()).ToList();
        int firstPartial = types.IndexOf("transcript.partial"), firstFinal = types.IndexOf("transcript.final");
        Assert.True(firstPartial >= 0 && firstPartial < firstFinal, $"expected partials before the final: {string.Join(",", types)}");
        var words = Words(c);
        Assert.Equal(["go", "forward", "ten", "meters"], words.Select(w => w.Word));
        for (int i = 0; i < words.Count; i++)
        {
            Assert.True(words[i].Start < words[i].End, $"word {i} has start >= end");
            if (i > 0) Assert.True(words[i].Start >= words[i - 1].End - 0.001, "word times must be monotonic");
        }
        Assert.InRange(words[^1].End, 1.5, 3.0);
        var closed = c.OfType("session.closed").Single();
        Assert.InRange(closed.GetProperty("usage").GetProperty("audio_seconds").GetDouble(), 2.7, 2.9);
        Assert.True(closed.GetProperty("latency").GetProperty("time_to_first_partial_ms").GetDouble() > 0);
    }

    /// <summary>
    /// Telephony audio: μ-law at 8 kHz. The embedded en-US model is wideband (16 kHz), and no
    /// 8 kHz configuration of it recognises band-limited speech reliably (pocketsphinx_continuous
    /// fails on the same audio too), so this checks the plumbing: the stream gives exactly the
    /// words the batch path gives for the same μ-law file, with sane timings.
    /// </summary>
    [Fact]
    public async Task Stream_Mulaw8kAtRealTimePace_SameWordsAsBatchOfSameAudio()
    {
        var mulaw = TestAudio.GoForwardAs("-e u-law -b 8", 8000);
        using var http = new HttpClient { BaseAddress = fixture.BaseUri };
        var batch = await http.PostAsync("/v1/stt?encoding=mulaw&sample_rate=8000&format=text", new ByteArrayContent(mulaw));
        var expected = (await batch.Content.ReadAsStringAsync()).Trim();
        Assert.NotEmpty(expected);

        await using var c = await WsClient.ConnectAsync(fixture.WsUri("/v1/stt/stream?encoding=mulaw&sample_rate=8000"));
        await c.SendAudioAsync(mulaw, 160, bytesPerSecond: 8000);
        await c.SendJsonAsync(new { type = "close" });
        Assert.True(await c.WaitClosedAsync(Long));
        Assert.Equal(expected, FinalText(c));
        Assert.InRange(c.OfType("session.closed").Single().GetProperty("usage").GetProperty("audio_seconds").GetDouble(), 2.7, 2.9);
        Assert.All(Words(c), w => Assert.InRange(w.End, w.Start, 2.9));
    }

    [Fact]
    public async Task Stream_SentFasterThanRealTimeWithinBurst_TranscriptComplete()
    {
        await using var c = await WsClient.ConnectAsync(fixture.WsUri("/v1/stt/stream"));
        await c.SendAudioAsync(RepoPaths.GoForward(), 3200);
        await c.CloseOutputAsync(); // a close frame flushes like {"type":"close"}
        Assert.True(await c.WaitClosedAsync(Long));
        Assert.Equal("go forward ten meters", FinalText(c));
        Assert.Single(c.OfType("session.closed"));
    }

    [Fact]
    public async Task Stream_FinalizeMidStream_FinalMarkedFromFinalizeAndStreamContinues()
    {
        var audio = RepoPaths.GoForward();
        await using var c = await WsClient.ConnectAsync(fixture.WsUri("/v1/stt/stream?endpointing=false"));
        await c.SendAudioAsync(audio, 3200);
        await c.SendJsonAsync(new { type = "finalize" });
        var final = await c.WaitForTypeAsync("transcript.final", Long);
        Assert.NotNull(final);
        Assert.True(final.Value.GetProperty("from_finalize").GetBoolean());
        Assert.Equal("go forward ten meters", final.Value.GetProperty("text").GetString());
        await c.SendAudioAsync(audio, 3200);
        await c.SendJsonAsync(new { type = "close" });
        Assert.True(await c.WaitClosedAsync(Long));
        Assert.Equal("go forward ten meters go forward ten meters", FinalText(c));
        var words = Words(c);
        Assert.True(words[4].Start >= 2.7, $"the second utterance's words start after the first audio: {string.Join(", ", words)}");
    }

    [Fact]
    public async Task Stream_WorkerKilledMidUtterance_EveryWordOnceAndMonotonic()
    {
        // The recording twice: its own pauses separate the utterances (real audio, no digital silence).
        var audio = TestAudio.Concat(RepoPaths.GoForward(), RepoPaths.GoForward());
        var supervisor = fixture.Node.Supervisor("stt-en");
        await using var c = await WsClient.ConnectAsync(fixture.WsUri("/v1/stt/stream"));
        Assert.NotNull(await c.WaitForTypeAsync("session.started", Long));
        bool killed = false;
        int killAt = (int)((2.786 + 1.2) * 32000); // mid-way through the second utterance
        await c.SendAudioAsync(audio, 640, bytesPerSecond: 32000, afterFrame: sent =>
        {
            if (!killed && sent >= killAt)
            {
                killed = true;
                var pid = supervisor.Workers[0].ProcessId ?? throw new InvalidOperationException("worker has no pid");
                System.Diagnostics.Process.GetProcessById(pid).Kill(); // SIGKILL
            }
            return Task.CompletedTask;
        });
        await c.SendJsonAsync(new { type = "close" });
        Assert.True(await c.WaitClosedAsync(Long), "no close after the worker was killed");

        Assert.True(killed);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, c.CloseStatus);
        Assert.Equal("go forward ten meters go forward ten meters", FinalText(c));
        var words = Words(c);
        for (int i = 1; i < words.Count; i++)
            Assert.True(words[i].Start >= words[i - 1].End - 0.001, $"timestamps went backwards at word {i}: {words[i - 1]} then {words[i]}");
        Assert.True(c.OfType("session.closed").Single().GetProperty("replacements").GetInt32() >= 1);
        await supervisor.WaitUntilServingAsync(new CancellationTokenSource(Long).Token);
    }
}
