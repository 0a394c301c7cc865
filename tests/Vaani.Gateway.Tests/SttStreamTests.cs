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
    [InlineData("mulaw", 8000, "-e u-law -b 8", 160)] // telephony: folded for the wideband model
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
    /// Telephony audio (μ-law 8 kHz, as in the μ-law row of the theory above) through the batch
    /// endpoint, headerless and as a WAV: the same words as the stream. The wideband model only
    /// recognises it because the pool's engine asks for narrowband folding (properly resampled,
    /// this recording decodes to nonsense), so this also proves the capability crosses the
    /// worker protocol.
    /// </summary>
    [Fact]
    public async Task Batch_Mulaw8k_GoForwardWithWords()
    {
        var mulaw = TestAudio.GoForwardAs("-e u-law -b 8", 8000);
        using var http = new HttpClient { BaseAddress = fixture.BaseUri };
        var raw = await http.PostAsync("/v1/stt?encoding=mulaw&sample_rate=8000", new ByteArrayContent(mulaw));
        Assert.Equal(System.Net.HttpStatusCode.OK, raw.StatusCode);
        var json = JsonDocument.Parse(await raw.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("go forward ten meters", json.GetProperty("text").GetString());
        var words = json.GetProperty("segments").EnumerateArray().SelectMany(s => s.GetProperty("words").EnumerateArray()).ToList();
        Assert.Equal(["go", "forward", "ten", "meters"], words.Select(w => w.GetProperty("word").GetString()));
        Assert.All(words, w => Assert.InRange(w.GetProperty("end").GetDouble(), w.GetProperty("start").GetDouble(), 2.9));

        var wav = Vaani.Audio.Wav.WavWriter.ToBytes(Vaani.Audio.AudioFormat.Mulaw(8000), mulaw);
        var fromWav = await http.PostAsync("/v1/stt?format=text", new ByteArrayContent(wav));
        Assert.Equal("go forward ten meters", (await fromWav.Content.ReadAsStringAsync()).Trim());
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
