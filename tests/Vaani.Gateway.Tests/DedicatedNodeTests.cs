using Vaani.Testing;
using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Vaani.Gateway.Admission;
using Vaani.Gateway.Hosting;
using Vaani.Gateway.Tests.Infrastructure;

namespace Vaani.Gateway.Tests;

/// <summary>Behaviours that need a node with its own limits (pacing, slow readers, drain).</summary>
[Collection(NodeCollection.Name)]
public sealed class DedicatedNodeTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private static Task<LocalNode> StartAsync(GatewayOptions gateway) =>
        LocalNode.StartAsync(NodeFixture.Options(gateway) with { Pools = [("stt-en", 1), ("tts", 1)] }, CancellationToken.None);

    private static Uri Ws(LocalNode node, string pathAndQuery) => new($"ws://{node.BaseUri.Authority}{pathAndQuery}");

    [Fact]
    public async Task FastSender_BeyondBurst_IsPacedNotDropped()
    {
        await using var node = await StartAsync(new GatewayOptions { Port = 0, RealtimeBurst = TimeSpan.FromSeconds(0.5) });
        var audio = TestAudio.Concat(RepoPaths.GoForward(), RepoPaths.GoForward()); // 5.6 s
        await using var c = await WsClient.ConnectAsync(Ws(node, "/v1/stt/stream"));
        var sw = Stopwatch.StartNew();
        await c.SendAudioAsync(audio, 32000); // as fast as the socket takes it
        await c.SendJsonAsync(new { type = "close" });
        Assert.True(await c.WaitClosedAsync(Long));
        // Paced to real time after the burst: the last audio cannot have been read before ~5.1 s.
        Assert.True(sw.Elapsed > TimeSpan.FromSeconds(4), $"5.6 s of audio was accepted in {sw.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal("go forward ten meters go forward ten meters", SttStreamTests.FinalText(c));
    }

    [Fact]
    public async Task Idle_NoAudioOrKeepalive_IdleTimeoutThen1008()
    {
        await using var node = await StartAsync(new GatewayOptions { Port = 0, IdleTimeout = TimeSpan.FromSeconds(2) });
        await using var c = await WsClient.ConnectAsync(Ws(node, "/v1/stt/stream"));
        for (int i = 0; i < 3; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            await c.SendJsonAsync(new { type = "keepalive" }); // keepalives hold the session open
        }
        Assert.Empty(c.OfType("error"));
        Assert.True(await c.WaitClosedAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, c.CloseStatus);
        Assert.Equal("idle_timeout", c.OfType("error").Single().GetProperty("code").GetString());
    }

    [Fact]
    public async Task SlowReader_OutboundBufferFull_ClosedAndSessionReleased()
    {
        await using var node = await StartAsync(new GatewayOptions { Port = 0, OutboundQueueMessages = 8 });
        var admission = node.App.Services.GetRequiredService<AdmissionController>();
        using var c = await RawWebSocketClient.ConnectAsync(node.BaseUri, "/v1/tts/stream");
        var text = string.Concat(Enumerable.Repeat("This sentence is synthesised again and again so that the client cannot keep up. ", 40));
        await c.SendTextAsync(System.Text.Json.JsonSerializer.Serialize(new { type = "speak", context_id = "a", text, language = "en" }));
        var deadline = DateTime.UtcNow + Long;
        while (admission.ActiveIn("tts-sockets") > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(0, admission.ActiveIn("tts-sockets"));
        Assert.True(await c.DrainUntilClosedAsync(TimeSpan.FromSeconds(30)), "the server kept the connection of a client that stopped reading");
    }

    /// <summary>
    /// Without a control plane too: at a pool capacity of one, a client that opens its next session
    /// the moment the last one reports <c>session.closed</c> is admitted, not refused with 503. The
    /// slot is freed before that message goes out, not when the closed socket's handler ends.
    /// </summary>
    [Fact]
    public async Task NoAuth_NextSessionOpenedOnSessionClosed_AdmittedAtPoolCapacity()
    {
        var options = NodeFixture.Options(new GatewayOptions { Port = 0 }) with { Pools = [("stt-en", 1)] };
        await using var node = await LocalNode.StartAsync(options with { Launch = options.Launch with { Environment = new Dictionary<string, string> { ["VAANI_STT_DECODERS"] = "1" } } }, CancellationToken.None);
        var admission = node.App.Services.GetRequiredService<AdmissionController>();
        var sockets = new List<WsClient>();
        try
        {
            for (int i = 0; i < 6; i++)
            {
                WsClient c;
                try { c = await WsClient.ConnectAsync(Ws(node, "/v1/stt/stream?interim_results=false")); }
                catch (WebSocketException ex) { throw new Xunit.Sdk.XunitException($"session {i} was refused: {ex.Message}"); }
                sockets.Add(c);
                Assert.NotNull(await c.WaitForTypeAsync("session.started", Long));
                await c.SendBinaryAsync(RepoPaths.GoForward().AsMemory(0, 6400));
                await c.SendJsonAsync(new { type = "close" });
                // Only up to session.closed: the close handshake is left to finish in the background.
                Assert.NotNull(await c.WaitForTypeAsync("session.closed", Long));
                Assert.Equal(0, admission.ActiveIn("stt-en"));
            }
        }
        finally
        {
            foreach (var c in sockets) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task Drain_StopsAdmittingThenClosesRunningSessionWith1012()
    {
        var node = await StartAsync(new GatewayOptions { Port = 0, DrainGrace = TimeSpan.FromSeconds(4) });
        try
        {
            await using var c = await WsClient.ConnectAsync(Ws(node, "/v1/stt/stream"));
            Assert.NotNull(await c.WaitForTypeAsync("session.started", Long));
            var keepTalking = c.SendAudioAsync(TestAudio.Concat(Enumerable.Repeat(RepoPaths.GoForward(), 4).ToArray()), 640, bytesPerSecond: 32000);
            Assert.NotNull(await c.WaitForTypeAsync("transcript.final", Long));
            var stop = node.App.StopAsync();
            await Task.Delay(300);
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                using var late = new ClientWebSocket();
                await late.ConnectAsync(Ws(node, "/v1/stt/stream"), CancellationToken.None);
            });
            Assert.True(await c.WaitClosedAsync(Long));
            Assert.Equal((WebSocketCloseStatus)1012, c.CloseStatus);
            Assert.Equal("draining", c.OfType("error").Single().GetProperty("code").GetString());
            Assert.True(c.OfType("transcript.final").Count() >= 2, "the session kept working during the grace period");
            await stop;
            try { await keepTalking; } catch (WebSocketException) { }
        }
        finally
        {
            await node.DisposeAsync();
        }
    }
}
