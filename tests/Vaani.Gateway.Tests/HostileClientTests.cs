using Vaani.Testing;
using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Vaani.Gateway.Admission;
using Vaani.Gateway.Tests.Infrastructure;

namespace Vaani.Gateway.Tests;

[Collection(NodeCollection.Name)]
public sealed class HostileClientTests(NodeFixture fixture)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private AdmissionController Admission => fixture.Node.App.Services.GetRequiredService<AdmissionController>();

    private async Task<(HttpStatusCode Status, string Body)> HandshakeAsync(string pathAndQuery)
    {
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        try
        {
            await ws.ConnectAsync(fixture.WsUri(pathAndQuery), CancellationToken.None);
            return (ws.HttpStatusCode, "");
        }
        catch (WebSocketException)
        {
            return (ws.HttpStatusCode, "");
        }
    }

    private async Task WaitIdleAsync()
    {
        var deadline = DateTime.UtcNow + Long;
        while (Admission.ActiveIn("stt-en") > 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(0, Admission.ActiveIn("stt-en"));
    }

    [Theory]
    [InlineData("/v1/stt/stream?encoding=mp3")]
    [InlineData("/v1/stt/stream?sample_rate=7")]
    [InlineData("/v1/stt/stream?language=xx")]
    [InlineData("/v1/stt/stream?endpointing=soon")]
    public async Task Handshake_InvalidQuery_RefusedWith400(string pathAndQuery)
    {
        var (status, _) = await HandshakeAsync(pathAndQuery);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        using var http = new HttpClient { BaseAddress = fixture.BaseUri };
        var plain = await http.GetAsync("/v1/stt/stream");
        Assert.Equal(HttpStatusCode.UpgradeRequired, plain.StatusCode);
    }

    [Fact]
    public async Task Message_OversizedFrame_ErrorThen1008()
    {
        await using var c = await WsClient.ConnectAsync(fixture.WsUri("/v1/stt/stream"));
        await c.SendBinaryAsync(new byte[300 * 1024]);
        Assert.True(await c.WaitClosedAsync(Long));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, c.CloseStatus);
        Assert.Equal("message_too_large", c.OfType("error").Single().GetProperty("code").GetString());
        await WaitIdleAsync();
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"type\":\"dance\"}")]
    [InlineData("[1,2,3]")]
    public async Task Message_GarbageJson_InvalidMessageThen1008(string text)
    {
        await using var c = await WsClient.ConnectAsync(fixture.WsUri("/v1/stt/stream"));
        await c.SendTextAsync(text);
        Assert.True(await c.WaitClosedAsync(Long));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, c.CloseStatus);
        Assert.Equal("invalid_message", c.OfType("error").Single().GetProperty("code").GetString());
    }

    [Fact]
    public async Task AbruptDisconnect_OtherSessionUnaffectedAndSlotFreed()
    {
        await using var healthy = await WsClient.ConnectAsync(fixture.WsUri("/v1/stt/stream"));
        await using (var rude = await WsClient.ConnectAsync(fixture.WsUri("/v1/stt/stream")))
        {
            await rude.SendAudioAsync(RepoPaths.GoForward()[..32000], 640);
            rude.Abort();
        }
        await healthy.SendAudioAsync(RepoPaths.GoForward(), 640, bytesPerSecond: 64000);
        await healthy.SendJsonAsync(new { type = "close" });
        Assert.True(await healthy.WaitClosedAsync(Long));
        Assert.Equal("go forward ten meters", SttStreamTests.FinalText(healthy));
        await WaitIdleAsync();
    }

    [Fact]
    public async Task AbruptDisconnect_AtAnyMomentOfABurst_EverySlotFreed()
    {
        // Clients that never read, send a burst of audio and vanish: the connection's end often
        // reaches the gateway together with the last frames.
        var audio = RepoPaths.GoForward();
        var rng = new Random(7);
        for (int i = 0; i < 40; i++)
        {
            await using (var rude = await WsClient.ConnectAsync(fixture.WsUri("/v1/stt/stream"), read: false))
            {
                await Task.Delay(rng.Next(0, 20));
                await rude.SendAudioAsync(audio[..(rng.Next(0, 20) * 3200)], 3200);
                rude.Abort();
            }
            await WaitIdleAsync();
        }
    }

    [Fact]
    public async Task Admission_PoolFull_RefusedAtHandshakeWith503AndRetryAfter()
    {
        // stt-en runs 1 worker with 2 decoders: capacity 2.
        var workerLoad = string.Join(", ", fixture.Node.Supervisor("stt-en").ServingConnections.Select(c => $"{c.Capacity.Active}/{c.Capacity.Capacity}"));
        await using var a = await WsClient.ConnectAsync(fixture.WsUri("/v1/stt/stream"));
        await using var b = await WsClient.ConnectAsync(fixture.WsUri("/v1/stt/stream"));
        Assert.True(await a.WaitForTypeAsync("session.started", Long) is not null, $"a not started; worker load before: {workerLoad}; messages: {string.Join(" ", a.Messages)}");
        Assert.True(await b.WaitForTypeAsync("session.started", Long) is not null, $"b not started; worker load before: {workerLoad}; messages: {string.Join(" ", b.Messages)}");
        Assert.Equal(2, Admission.ActiveIn("stt-en"));
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(fixture.WsUri("/v1/stt/stream"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ws.HttpStatusCode);
        Assert.True(ws.HttpResponseHeaders!.ContainsKey("Retry-After"));
        await a.SendJsonAsync(new { type = "close" });
        await b.SendJsonAsync(new { type = "close" });
        Assert.True(await a.WaitClosedAsync(Long) && await b.WaitClosedAsync(Long));
        await WaitIdleAsync();
    }
}
