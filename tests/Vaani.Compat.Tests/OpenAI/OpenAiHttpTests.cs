using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Vaani.Compat.Tests.Infrastructure;

namespace Vaani.Compat.Tests.OpenAI;

[Collection(VaaniServerCollection.Name)]
public sealed class OpenAiHttpTests(VaaniServer server)
{
    private readonly HttpClient _http = server.CreateHttpClient();

    private static async Task<MultipartFormDataContent> FormAsync(params (string Name, string Value)[] fields)
    {
        var pcm = await File.ReadAllBytesAsync(VaaniServer.GoForwardRaw);
        var wav = new byte[44 + pcm.Length];
        Vaani.Audio.Wav.WavHeaderWriter.Write(Vaani.Audio.AudioFormat.Linear16(16000), pcm.Length, wav);
        pcm.CopyTo(wav, 44);
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(wav);
        file.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        form.Add(file, "file", "goforward.wav");
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        return form;
    }

    [Fact]
    public async Task Transcriptions_Json_TextAndDurationUsage()
    {
        using var form = await FormAsync(("model", "whisper-1"), ("prompt", "ignored"), ("unknown_field", "x"));
        var response = await _http.PostAsync(new Uri(server.Url, "/v1/audio/transcriptions"), form);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("go forward ten meters", doc.RootElement.GetProperty("text").GetString());
        Assert.Equal("duration", doc.RootElement.GetProperty("usage").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Transcriptions_UnknownModel_404ModelNotFound()
    {
        using var form = await FormAsync(("model", "no-such-model"));
        var response = await _http.PostAsync(new Uri(server.Url, "/v1/audio/transcriptions"), form);
        Assert.Equal(404, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Equal("model", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Transcriptions_MissingFile_400MissingRequiredParameter()
    {
        using var form = new MultipartFormDataContent { { new StringContent("whisper-1"), "model" } };
        var response = await _http.PostAsync(new Uri(server.Url, "/v1/audio/transcriptions"), form);
        Assert.Equal(400, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("file", doc.RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("""{"model":"tts-1","input":"hi","voice":"nobody"}""", "voice")]
    [InlineData("""{"model":"tts-1","input":"hi","voice":"alloy","response_format":"ogg"}""", "response_format")]
    [InlineData("""{"model":"tts-1","input":"","voice":"alloy"}""", "input")]
    [InlineData("""{"model":"tts-1","input":"hi","voice":"alloy","speed":0.1}""", "speed")]
    public async Task Speech_InvalidField_400NamesTheParam(string body, string param)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await _http.PostAsync(new Uri(server.Url, "/v1/audio/speech"), content);
        Assert.Equal(400, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(param, doc.RootElement.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", doc.RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Speech_Mp3_FfmpegOutputWithMpegSync()
    {
        using var content = new StringContent("""{"model":"tts-1","input":"Hello there.","voice":"echo","response_format":"mp3"}""", Encoding.UTF8, "application/json");
        var response = await _http.PostAsync(new Uri(server.Url, "/v1/audio/speech"), content);
        response.EnsureSuccessStatusCode();
        Assert.Equal("audio/mpeg", response.Content.Headers.ContentType!.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        // An MP3 stream starts with an ID3 tag or an MPEG frame sync.
        Assert.True(bytes.Length > 1000 && (Encoding.ASCII.GetString(bytes, 0, 3) == "ID3" || (bytes[0] == 0xFF && (bytes[1] & 0xE0) == 0xE0)));
    }

    [Fact]
    public async Task Models_Get_NativeAndOpenAiShapes()
    {
        using var doc = JsonDocument.Parse(await _http.GetStringAsync(new Uri(server.Url, "/v1/models")));
        Assert.Equal("list", doc.RootElement.GetProperty("object").GetString());
        var data = doc.RootElement.GetProperty("data").EnumerateArray().ToArray();
        Assert.Contains(data, m => m.GetProperty("id").GetString() == "stt-en" && m.GetProperty("object").GetString() == "model");
        Assert.Contains(doc.RootElement.GetProperty("models").EnumerateArray(), m => m.GetProperty("kind").GetString() == "tts");
    }
}
