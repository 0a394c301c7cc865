using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Vaani.Compat.Tests.Infrastructure;

namespace Vaani.Compat.Tests.Deepgram;

[Collection(VaaniServerCollection.Name)]
public sealed class DeepgramHttpTests(VaaniServer server)
{
    private readonly HttpClient _http = server.CreateHttpClient();

    [Fact]
    public async Task ListenPost_RawLinear16_PrerecordedShapeWithWords()
    {
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(VaaniServer.GoForwardRaw));
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/raw");
        var response = await _http.PostAsync(new Uri(server.Url, "/v1/listen?encoding=linear16&sample_rate=16000&punctuate=true&utterances=true"), content);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var alt = doc.RootElement.GetProperty("results").GetProperty("channels")[0].GetProperty("alternatives")[0];
        Assert.Equal("Go forward ten meters.", alt.GetProperty("transcript").GetString());
        Assert.Equal(4, alt.GetProperty("words").GetArrayLength());
        Assert.Equal("meters.", alt.GetProperty("words")[3].GetProperty("punctuated_word").GetString());
        Assert.Single(doc.RootElement.GetProperty("results").GetProperty("utterances").EnumerateArray());
        Assert.Equal(2.786, doc.RootElement.GetProperty("metadata").GetProperty("duration").GetDouble(), 2);
    }

    [Fact]
    public async Task ListenPost_CorruptBody_400FailedToProcessAudio()
    {
        using var content = new ByteArrayContent(Encoding.ASCII.GetBytes("this is not audio at all, just text"));
        var response = await _http.PostAsync(new Uri(server.Url, "/v1/listen"), content);
        Assert.Equal(400, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("failed to process audio", doc.RootElement.GetProperty("err_msg").GetString());
    }

    [Fact]
    public async Task ListenPost_MalformedAuthorization_401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Url, "/v1/listen")) { Content = new ByteArrayContent([1, 2, 3]) };
        request.Headers.TryAddWithoutValidation("Authorization", "Basic");
        var response = await _http.SendAsync(request);
        Assert.Equal(401, (int)response.StatusCode);
    }

    [Fact]
    public async Task SpeakPost_Linear16Wav_HeaderAndPlausibleDuration()
    {
        using var content = new StringContent("""{"text":"Hello from Vaani."}""", Encoding.UTF8, "application/json");
        var response = await _http.PostAsync(new Uri(server.Url, "/v1/speak?model=aura-asteria-en&encoding=linear16&sample_rate=16000"), content);
        response.EnsureSuccessStatusCode();
        Assert.Equal("audio/wav", response.Content.Headers.ContentType!.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("RIFF", Encoding.ASCII.GetString(bytes, 0, 4));
        double seconds = (bytes.Length - 44) / 32000.0;
        Assert.InRange(seconds, 0.5, 5);
    }

    [Fact]
    public async Task SpeakPost_UnknownModel_400()
    {
        using var content = new StringContent("""{"text":"Hello"}""", Encoding.UTF8, "application/json");
        var response = await _http.PostAsync(new Uri(server.Url, "/v1/speak?model=aura-2-nobody-en"), content);
        Assert.Equal(400, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("aura-2-nobody-en", doc.RootElement.GetProperty("err_msg").GetString());
    }

    [Fact]
    public async Task SpeakSocket_SpeakFlushClose_AudioThenFlushedThenNormalClose()
    {
        using var ws = new System.Net.WebSockets.ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", $"Token {server.Key}");
        await ws.ConnectAsync(new Uri(server.WsUrl, "/v1/speak?model=aura-2-thalia-en&encoding=linear16&sample_rate=16000"), CancellationToken.None);
        await Ws.SendJsonAsync(ws, new { type = "Speak", text = "Testing the speak socket." });
        await Ws.SendJsonAsync(ws, new { type = "Flush" });
        await Ws.SendJsonAsync(ws, new { type = "Bogus" });
        await Ws.SendJsonAsync(ws, new { type = "Close" });
        var got = await Ws.ReadToCloseAsync(ws, TimeSpan.FromSeconds(30));
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, got.Status);
        var types = got.Json.Select(m => m.GetProperty("type").GetString()).ToArray();
        Assert.Equal("Metadata", types[0]);
        Assert.Contains("Warning", types);
        Assert.Contains("Flushed", types);
        Assert.InRange(got.BinaryBytes / 32000.0, 0.5, 5);
    }
}
