using Vaani.Testing;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Vaani.Gateway.Tests.Infrastructure;

namespace Vaani.Gateway.Tests;

[Collection(NodeCollection.Name)]
public sealed class HttpApiTests(NodeFixture fixture)
{
    private HttpClient Client() => new() { BaseAddress = fixture.BaseUri, Timeout = TimeSpan.FromSeconds(60) };

    private static byte[] GoForwardWav() => TestAudio.WavOf(RepoPaths.GoForward());

    [Theory]
    [InlineData("text", "go forward ten meters\n")]
    [InlineData("srt", "1\n00:00:00,")]
    [InlineData("vtt", "WEBVTT\n\n00:00:00.")]
    public async Task BatchStt_WavBody_Formats(string format, string expectedPrefix)
    {
        using var http = Client();
        var response = await http.PostAsync($"/v1/stt?format={format}", new ByteArrayContent(GoForwardWav()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith(expectedPrefix, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchStt_MultipartMp3_JsonWithWords()
    {
        var mp3 = TestAudio.Encode(RepoPaths.GoForward(), "mp3");
        using var http = Client();
        using var form = new MultipartFormDataContent { { new ByteArrayContent(mp3), "file", "goforward.mp3" } };
        var response = await http.PostAsync("/v1/stt", form);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("go forward ten meters", json.GetProperty("text").GetString());
        Assert.Equal(4, json.GetProperty("segments")[0].GetProperty("words").GetArrayLength());
    }

    [Fact]
    public async Task BatchStt_RawWithoutFormat_422NamesTheFix()
    {
        using var http = Client();
        var response = await http.PostAsync("/v1/stt", new ByteArrayContent(RepoPaths.GoForward()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid_audio", json.GetProperty("error").GetProperty("code").GetString());
        var ok = await http.PostAsync("/v1/stt?encoding=linear16&sample_rate=16000&format=text", new ByteArrayContent(RepoPaths.GoForward()));
        Assert.Equal("go forward ten meters\n", await ok.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("wav", "audio/wav")]
    [InlineData("opus", "audio/ogg")]
    [InlineData("mulaw", "audio/basic")]
    public async Task Tts_Formats_DecodeToPlausibleDuration(string format, string contentType)
    {
        using var http = Client();
        var response = await http.PostAsJsonAsync("/v1/tts", new { text = "नमस्ते, आप कैसे हैं? मैं ठीक हूँ।", language = "hi", format });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType!.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var args = format == "mulaw" ? "-f mulaw -ar 8000 -ac 1" : "";
        double seconds = TestAudio.ProbeDuration(bytes, args);
        Assert.InRange(seconds, 1.0, 8.0);
    }

    [Fact]
    public async Task TtsSse_AudioWordsDone()
    {
        using var http = Client();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tts/sse") { Content = JsonContent.Create(new { text = "hello streaming world", language = "en", format = "pcm" }) };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split('\n')[0]["event: ".Length..]).ToList();
        Assert.Contains("audio", events);
        Assert.Contains("words", events);
        Assert.Equal("done", events[^1]);
    }

    [Theory]
    [InlineData("{\"text\":\"\"}", "invalid_text")]
    [InlineData("{\"text\":\"hi\",\"format\":\"mp4\"}", "invalid_format")]
    [InlineData("{\"text\":\"hi\",\"voice\":\"klingon\"}", "unsupported_voice")]
    [InlineData("{\"text\":\"hi\",\"rate\":9}", "invalid_prosody")]
    [InlineData("not json", "invalid_json")]
    public async Task Tts_BadRequests_SpecificError(string body, string code)
    {
        using var http = Client();
        var response = await http.PostAsync("/v1/tts", new StringContent(body, MediaTypeHeaderValue.Parse("application/json")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, json.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Catalog_VoicesIncludeIndianLanguagesAndModelsListPools()
    {
        using var http = Client();
        var voices = await http.GetFromJsonAsync<JsonElement>("/v1/voices");
        var ids = voices.GetProperty("voices").EnumerateArray().Select(v => v.GetProperty("id").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "hi", "ta", "te", "bn", "mr", "gu", "kn", "ml", "pa" }, ids);
        var models = await http.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Contains(models.GetProperty("models").EnumerateArray(), m => m.GetProperty("id").GetString() == "stt-en");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
    }
}
