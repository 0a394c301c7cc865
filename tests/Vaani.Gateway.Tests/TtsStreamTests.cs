using System.Net.WebSockets;
using System.Text.Json;
using Vaani.Gateway.Tests.Infrastructure;

namespace Vaani.Gateway.Tests;

[Collection(NodeCollection.Name)]
public sealed class TtsStreamTests(NodeFixture fixture)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private static string? ContextOf(JsonElement m) => m.TryGetProperty("context_id", out var c) ? c.GetString() : null;
    private static string TypeOf(JsonElement m) => m.GetProperty("type").GetString()!;

    [Fact]
    public async Task Contexts_ThreeInterleavedOneCancelled_OthersCompleteAndNoAudioAfterCancelAck()
    {
        const string text = "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. How vexingly quick daft zebras jump.";
        await using var c = await WsClient.ConnectAsync(fixture.WsUri("/v1/tts/stream?encoding=linear16&sample_rate=16000"));
        Assert.NotNull(await c.WaitForTypeAsync("session.started", Long));
        foreach (var id in new[] { "c1", "c2", "c3" })
            await c.SendJsonAsync(new { type = "speak", context_id = id, text = text.Split('.')[0] + ".", language = "en", @continue = true });
        foreach (var id in new[] { "c1", "c2", "c3" })
            await c.SendJsonAsync(new { type = "speak", context_id = id, text = string.Join('.', text.Split('.').Skip(1)), @continue = false });

        Assert.NotNull(await c.WaitForAsync(m => TypeOf(m) == "audio" && ContextOf(m) == "c2", Long));
        await c.SendJsonAsync(new { type = "cancel", context_id = "c2" });
        Assert.NotNull(await c.WaitForAsync(m => TypeOf(m) == "cancelled" && ContextOf(m) == "c2", Long));
        Assert.NotNull(await c.WaitForAsync(m => TypeOf(m) == "done" && ContextOf(m) == "c1", Long));
        Assert.NotNull(await c.WaitForAsync(m => TypeOf(m) == "done" && ContextOf(m) == "c3", Long));
        await c.SendJsonAsync(new { type = "close" });
        Assert.True(await c.WaitClosedAsync(Long));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, c.CloseStatus);

        var messages = c.Messages.ToList();
        int ack = messages.FindIndex(m => TypeOf(m) == "cancelled" && ContextOf(m) == "c2");
        Assert.DoesNotContain(messages.Skip(ack), m => ContextOf(m) == "c2" && TypeOf(m) is "audio" or "words" or "done");
        foreach (var id in new[] { "c1", "c3" })
        {
            var audio = messages.Where(m => TypeOf(m) == "audio" && ContextOf(m) == id)
                .SelectMany(m => Convert.FromBase64String(m.GetProperty("audio").GetString()!)).ToArray();
            double seconds = audio.Length / 32000.0;
            Assert.InRange(seconds, 4.0, 20.0);
            var seqs = messages.Where(m => TypeOf(m) == "audio" && ContextOf(m) == id).Select(m => m.GetProperty("seq").GetInt32()).ToList();
            Assert.Equal(Enumerable.Range(0, seqs.Count), seqs);
            var words = messages.Where(m => TypeOf(m) == "words" && ContextOf(m) == id).SelectMany(m => m.GetProperty("words").EnumerateArray()).ToList();
            Assert.Contains(words, w => w.GetProperty("word").GetString() == "zebras");
            var starts = words.Select(w => w.GetProperty("start").GetDouble()).ToList();
            Assert.Equal(starts.Order(), starts);
            Assert.All(words, w => Assert.True(w.GetProperty("end").GetDouble() <= seconds + 0.05));
            // Offsets map back into all the text sent to the context.
            Assert.All(words, w => Assert.Equal(w.GetProperty("word").GetString(), text.Substring(w.GetProperty("text_offset").GetInt32(), w.GetProperty("text_length").GetInt32())));
        }
    }

    [Fact]
    public async Task Speak_UnknownVoice_ContextErrorAndSocketStaysOpen()
    {
        await using var c = await WsClient.ConnectAsync(fixture.WsUri("/v1/tts/stream"));
        await c.SendJsonAsync(new { type = "speak", context_id = "x", text = "hello", voice = "klingon" });
        var error = await c.WaitForTypeAsync("error", Long);
        Assert.Equal("x", ContextOf(error!.Value));
        Assert.Equal("unsupported_voice", error.Value.GetProperty("code").GetString());
        await c.SendJsonAsync(new { type = "speak", context_id = "y", text = "hello", language = "hi" });
        Assert.NotNull(await c.WaitForAsync(m => TypeOf(m) == "done" && ContextOf(m) == "y", Long));
    }
    /// <summary>
    /// A speak without <c>continue</c> closes its context; a client that speaks on the same
    /// <c>context_id</c> again while that audio is still being produced starts a new context with that
    /// id, which must follow the first: every message of the first (up to its <c>done</c>) before any
    /// of the second, never two streams interleaved under one id. The second counts its own
    /// <c>seq</c>, times and text offsets from 0.
    /// </summary>
    [Fact]
    public async Task Speak_AgainOnAClosedContextStillSpeaking_FollowsItWithoutOverlap()
    {
        const string first = "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs.";
        const string second = "How vexingly quick daft zebras jump.";
        await using var c = await WsClient.ConnectAsync(fixture.WsUri("/v1/tts/stream?encoding=linear16&sample_rate=16000"));
        Assert.NotNull(await c.WaitForTypeAsync("session.started", Long));
        await c.SendJsonAsync(new { type = "speak", context_id = "c1", text = first, language = "en" });
        await c.SendJsonAsync(new { type = "speak", context_id = "c1", text = second });
        await c.SendJsonAsync(new { type = "close" });
        Assert.True(await c.WaitClosedAsync(Long));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, c.CloseStatus);

        var messages = c.Messages.Where(m => ContextOf(m) == "c1").ToList();
        var dones = messages.Select((m, i) => (m, i)).Where(x => TypeOf(x.m) == "done").Select(x => x.i).ToList();
        Assert.Equal(2, dones.Count);
        Assert.Equal(messages.Count - 1, dones[1]);
        var runs = new[] { (Text: first, Messages: messages[..(dones[0] + 1)]), (Text: second, Messages: messages[(dones[0] + 1)..]) };
        foreach (var (text, run) in runs)
        {
            var seqs = run.Where(m => TypeOf(m) == "audio").Select(m => m.GetProperty("seq").GetInt32()).ToList();
            Assert.Equal(Enumerable.Range(0, seqs.Count), seqs);
            var words = run.Where(m => TypeOf(m) == "words").SelectMany(m => m.GetProperty("words").EnumerateArray()).ToList();
            Assert.NotEmpty(words);
            Assert.All(words, w => Assert.Equal(w.GetProperty("word").GetString(), text.Substring(w.GetProperty("text_offset").GetInt32(), w.GetProperty("text_length").GetInt32())));
            var starts = words.Select(w => w.GetProperty("start").GetDouble()).ToList();
            Assert.Equal(starts.Order(), starts);
        }
        Assert.Contains(runs[1].Messages, m => TypeOf(m) == "words" && m.GetProperty("words").EnumerateArray().Any(w => w.GetProperty("word").GetString() == "zebras"));
    }

    /// <summary>Cancelling an id cancels every context on it, also the closed one still speaking that a newer one follows.</summary>
    [Fact]
    public async Task Cancel_WhileANewerContextWaitsOnTheSameId_NoAudioForTheIdAfterTheAck()
    {
        const string text = "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. How vexingly quick daft zebras jump.";
        await using var c = await WsClient.ConnectAsync(fixture.WsUri("/v1/tts/stream?encoding=linear16&sample_rate=16000"));
        Assert.NotNull(await c.WaitForTypeAsync("session.started", Long));
        await c.SendJsonAsync(new { type = "speak", context_id = "c1", text, language = "en" });
        await c.SendJsonAsync(new { type = "speak", context_id = "c1", text });
        Assert.NotNull(await c.WaitForAsync(m => TypeOf(m) == "audio" && ContextOf(m) == "c1", Long));
        await c.SendJsonAsync(new { type = "cancel", context_id = "c1" });
        Assert.NotNull(await c.WaitForAsync(m => TypeOf(m) == "cancelled" && ContextOf(m) == "c1", Long));
        await c.SendJsonAsync(new { type = "speak", context_id = "c2", text = "Still here.", language = "en" });
        Assert.NotNull(await c.WaitForAsync(m => TypeOf(m) == "done" && ContextOf(m) == "c2", Long));

        var messages = c.Messages.ToList();
        int ack = messages.FindIndex(m => TypeOf(m) == "cancelled" && ContextOf(m) == "c1");
        Assert.DoesNotContain(messages.Skip(ack), m => ContextOf(m) == "c1" && TypeOf(m) is "audio" or "words" or "done");
    }
    /// <summary>
    /// Contexts count against the per-socket limit until they finish, also once closed: a client
    /// cannot queue unbounded work by speaking without <c>continue</c> (here: runs chained on one id
    /// behind a long one). The one over the limit is refused; the others are spoken.
    /// </summary>
    [Fact]
    public async Task Speak_ClosedContextsStillPendingBeyondTheLimit_RefusedWithTooManyContexts()
    {
        var longText = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 200)); // ~9,000 characters
        await using var c = await WsClient.ConnectAsync(fixture.WsUri("/v1/tts/stream?encoding=linear16&sample_rate=8000"));
        Assert.NotNull(await c.WaitForTypeAsync("session.started", Long));
        await c.SendJsonAsync(new { type = "speak", context_id = "c", text = longText, language = "en" });
        for (int i = 0; i < 16; i++)
            await c.SendJsonAsync(new { type = "speak", context_id = "c", text = $"Number {i}." });
        var error = await c.WaitForAsync(m => TypeOf(m) == "error", Long);
        Assert.Equal("too_many_contexts", error!.Value.GetProperty("code").GetString());
        await c.SendJsonAsync(new { type = "cancel", context_id = "c" });
        Assert.NotNull(await c.WaitForAsync(m => TypeOf(m) == "cancelled", Long));
        // Slots come back as contexts finish.
        await c.SendJsonAsync(new { type = "speak", context_id = "d", text = "Hello.", language = "en" });
        Assert.NotNull(await c.WaitForAsync(m => TypeOf(m) == "done" && ContextOf(m) == "d", Long));
        Assert.Single(c.Messages, m => TypeOf(m) == "error");
    }
}
