using System.Net.WebSockets;
using System.Text.Json;
using Vaani.Compat.Tests.Infrastructure;

namespace Vaani.Compat.Tests.Deepgram;

[Collection(VaaniServerCollection.Name)]
public sealed class DeepgramListenSocketTests(VaaniServer server)
{
    private async Task<ClientWebSocket> ConnectAsync(string query)
    {
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", $"Token {server.Key}");
        await ws.ConnectAsync(new Uri(server.WsUrl, "/v1/listen?" + query), CancellationToken.None);
        return ws;
    }

    private static async Task SendGoForwardAsync(ClientWebSocket ws, int chunk = 3200)
    {
        var pcm = await File.ReadAllBytesAsync(VaaniServer.GoForwardRaw);
        for (int i = 0; i < pcm.Length; i += chunk)
            await ws.SendAsync(pcm.AsMemory(i, Math.Min(chunk, pcm.Length - i)), WebSocketMessageType.Binary, true, CancellationToken.None);
    }

    private static string Finals(IEnumerable<JsonElement> messages) => string.Join(' ',
        messages.Where(m => m.GetProperty("type").GetString() == "Results" && m.GetProperty("is_final").GetBoolean())
            .Select(m => m.GetProperty("channel").GetProperty("alternatives")[0].GetProperty("transcript").GetString())
            .Where(t => t!.Length > 0));

    [Fact]
    public async Task Listen_GoForwardThenCloseStream_FinalsMetadataAndNormalClose()
    {
        using var ws = await ConnectAsync("encoding=linear16&sample_rate=16000&model=nova-3&interim_results=true&keywords=meters:2&unknown_param=1");
        await SendGoForwardAsync(ws);
        await Ws.SendJsonAsync(ws, new { type = "CloseStream" });
        var got = await Ws.ReadToCloseAsync(ws, TimeSpan.FromSeconds(30));

        Assert.Equal(WebSocketCloseStatus.NormalClosure, got.Status);
        Assert.Equal("go forward ten meters", Finals(got.Json));
        Assert.Contains(got.Json, m => m.GetProperty("type").GetString() == "Results" && !m.GetProperty("is_final").GetBoolean());
        var metadata = got.Json[^1];
        Assert.Equal("Metadata", metadata.GetProperty("type").GetString());
        Assert.Equal(2.786, metadata.GetProperty("duration").GetDouble(), 2);
        var words = got.Json.Where(m => m.GetProperty("type").GetString() == "Results" && m.GetProperty("is_final").GetBoolean())
            .SelectMany(m => m.GetProperty("channel").GetProperty("alternatives")[0].GetProperty("words").EnumerateArray()).ToArray();
        Assert.Equal(["go", "forward", "ten", "meters"], words.Select(w => w.GetProperty("word").GetString()!));
        Assert.All(words, w => Assert.True(w.GetProperty("end").GetDouble() > w.GetProperty("start").GetDouble()));
    }

    [Fact]
    public async Task Listen_MultichannelStereo_OneResultStreamPerChannel()
    {
        // Left: goforward; right: silence. Each channel is transcribed on its own.
        var pcm = await File.ReadAllBytesAsync(VaaniServer.GoForwardRaw);
        var stereo = new byte[pcm.Length * 2];
        for (int i = 0; i + 1 < pcm.Length; i += 2) { stereo[i * 2] = pcm[i]; stereo[i * 2 + 1] = pcm[i + 1]; }
        using var ws = await ConnectAsync("encoding=linear16&sample_rate=16000&channels=2&multichannel=true");
        for (int i = 0; i < stereo.Length; i += 6400)
            await ws.SendAsync(stereo.AsMemory(i, Math.Min(6400, stereo.Length - i)), WebSocketMessageType.Binary, true, CancellationToken.None);
        await Ws.SendJsonAsync(ws, new { type = "CloseStream" });
        var got = await Ws.ReadToCloseAsync(ws, TimeSpan.FromSeconds(30));

        Assert.Equal(WebSocketCloseStatus.NormalClosure, got.Status);
        var results = got.Json.Where(m => m.GetProperty("type").GetString() == "Results").ToArray();
        Assert.Equal("go forward ten meters", Finals(results.Where(r => r.GetProperty("channel_index")[0].GetInt32() == 0)));
        Assert.Equal("", Finals(results.Where(r => r.GetProperty("channel_index")[0].GetInt32() == 1)));
        Assert.All(results, r => Assert.Equal(2, r.GetProperty("channel_index")[1].GetInt32()));
        Assert.Equal(2, got.Json[^1].GetProperty("channels").GetInt32());
    }

    [Fact]
    public async Task Listen_UndecodableAudioWithoutEncoding_Closes1008Data0000()
    {
        using var ws = await ConnectAsync("model=nova-3");
        await ws.SendAsync(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        var got = await Ws.ReadToCloseAsync(ws, TimeSpan.FromSeconds(10));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, got.Status);
        Assert.StartsWith("DATA-0000", got.Reason);
    }

    [Fact]
    public async Task Listen_WavHeaderWithoutEncoding_FormatTakenFromHeader()
    {
        var pcm = await File.ReadAllBytesAsync(VaaniServer.GoForwardRaw);
        var wav = new byte[44 + pcm.Length];
        Vaani.Audio.Wav.WavHeaderWriter.Write(Vaani.Audio.AudioFormat.Linear16(16000), pcm.Length, wav);
        pcm.CopyTo(wav, 44);
        using var ws = await ConnectAsync("model=nova-3");
        for (int i = 0; i < wav.Length; i += 8000)
            await ws.SendAsync(wav.AsMemory(i, Math.Min(8000, wav.Length - i)), WebSocketMessageType.Binary, true, CancellationToken.None);
        await Ws.SendJsonAsync(ws, new { type = "CloseStream" });
        var got = await Ws.ReadToCloseAsync(ws, TimeSpan.FromSeconds(30));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, got.Status);
        Assert.Equal("go forward ten meters", Finals(got.Json));
    }

    [Fact]
    public async Task Listen_NoAudioWithinTimeout_Closes1011Net0001()
    {
        using var ws = await ConnectAsync("encoding=linear16&sample_rate=16000");
        var got = await Ws.ReadToCloseAsync(ws, TimeSpan.FromSeconds(20));
        Assert.Equal(WebSocketCloseStatus.InternalServerError, got.Status);
        Assert.StartsWith("NET-0001", got.Reason);
    }

    [Theory]
    [InlineData("encoding=linear16&sample_rate=banana")]
    [InlineData("encoding=wavpack")]
    [InlineData("model=not-a-model")]
    [InlineData("language=xx-nowhere")]
    [InlineData("endpointing=soon")]
    public async Task Listen_InvalidQuery_Handshake400InDeepgramShape(string query)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Url, "/v1/listen?" + query));
        var response = await http.SendAsync(request);
        Assert.Equal(400, (int)response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Bad Request", body.RootElement.GetProperty("err_code").GetString());
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("err_msg").GetString()));
        Assert.True(response.Headers.Contains("dg-request-id"));
    }
}
