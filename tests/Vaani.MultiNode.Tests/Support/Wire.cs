using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Vaani.MultiNode.Tests.Support;

/// <summary>An HTTP answer: status, headers (lower-case names) and body.</summary>
public sealed record WireResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The native error code (<c>error.code</c>), or null.</summary>
    public string? ErrorCode => Body.StartsWith('{') && JsonDocument.Parse(Body).RootElement.TryGetProperty("error", out var e) ? e.GetProperty("code").GetString() : null;

    public string? ErrorMessage => Body.StartsWith('{') && JsonDocument.Parse(Body).RootElement.TryGetProperty("error", out var e) ? e.GetProperty("message").GetString() : null;
}

/// <summary>Real-socket helpers: WebSocket handshakes whose refusals can be read, admin calls, polling.</summary>
public static class Wire
{
    /// <summary>
    /// Sends a WebSocket upgrade request over a raw TCP socket and reads the answer. A refusal comes
    /// back with its JSON body; an accepted handshake (101) is closed at once.
    /// </summary>
    public static async Task<WireResponse> HandshakeAsync(Uri baseUri, string pathAndQuery, string? authorization = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseUri.Host, baseUri.Port);
        var stream = tcp.GetStream();
        var request = new StringBuilder()
            .Append($"GET {pathAndQuery} HTTP/1.1\r\nHost: {baseUri.Authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n")
            .Append($"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {Convert.ToBase64String(Guid.NewGuid().ToByteArray())}\r\n");
        if (authorization is not null) request.Append($"Authorization: {authorization}\r\n");
        request.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()));

        var buffer = new byte[64 * 1024];
        var received = new MemoryStream();
        int headerEnd = -1;
        while (headerEnd < 0)
        {
            var n = await stream.ReadAsync(buffer);
            if (n == 0) throw new IOException("connection closed before the response headers");
            received.Write(buffer, 0, n);
            headerEnd = IndexOf(received.GetBuffer().AsSpan(0, (int)received.Length), "\r\n\r\n"u8);
        }

        var all = received.ToArray();
        var lines = Encoding.ASCII.GetString(all, 0, headerEnd).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        if (status == 101) return new WireResponse(status, headers, "");
        var body = new MemoryStream();
        body.Write(all, headerEnd + 4, all.Length - headerEnd - 4);
        if (headers.TryGetValue("content-length", out var cl))
        {
            var length = int.Parse(cl, System.Globalization.CultureInfo.InvariantCulture);
            while (body.Length < length)
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0) break;
                body.Write(buffer, 0, n);
            }
        }
        else if (headers.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.Ordinal))
        {
            // Read to the terminating chunk, then strip the chunk framing.
            while (IndexOf(body.GetBuffer().AsSpan(0, (int)body.Length), "0\r\n\r\n"u8) < 0)
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0) break;
                body.Write(buffer, 0, n);
            }

            return new WireResponse(status, headers, Dechunk(body.ToArray()));
        }

        return new WireResponse(status, headers, Encoding.UTF8.GetString(body.ToArray()));
    }

    private static string Dechunk(byte[] data)
    {
        var output = new MemoryStream();
        var pos = 0;
        while (pos < data.Length)
        {
            var lineEnd = IndexOf(data.AsSpan(pos), "\r\n"u8);
            if (lineEnd < 0) break;
            var size = Convert.ToInt32(Encoding.ASCII.GetString(data, pos, lineEnd).Split(';')[0], 16);
            pos += lineEnd + 2;
            if (size == 0) break;
            output.Write(data, pos, size);
            pos += size + 2;
        }

        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);

    /// <summary>POST /v1/tts with <paramref name="text"/>, reading the whole answer.</summary>
    public static async Task<WireResponse> TtsAsync(HttpClient http, Uri baseUri, string text, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, "/v1/tts")) { Content = JsonContent.Create(new { text, format = "pcm" }) };
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var headers = response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
        var isJson = response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true;
        return new WireResponse((int)response.StatusCode, headers, isJson ? Encoding.UTF8.GetString(bytes) : $"<{bytes.Length} bytes>");
    }

    /// <summary>An admin API call; returns status and parsed body.</summary>
    public static async Task<(int Status, JsonElement Body)> AdminAsync(HttpClient http, Uri controlUri, string key, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(controlUri, "/admin/v1/" + path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", key);
        if (body is not null) request.Content = JsonContent.Create(body, options: Vaani.Control.ControlJson.Options);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Polls <paramref name="probe"/> until it returns true, failing after <paramref name="timeout"/>.</summary>
    public static async Task PollAsync(Func<Task<bool>> probe, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            try
            {
                if (await probe()) return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // Not listening yet / gone for now: keep polling until the deadline.
            }

            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(250, delay.TotalMilliseconds * 2));
        }
    }

    /// <summary>Opens a real STT WebSocket session; the caller owns the socket.</summary>
    public static async Task<ClientWebSocket> ConnectSttAsync(Uri baseUri, string? authorization, string query = "")
    {
        var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        if (authorization is not null) ws.Options.SetRequestHeader("Authorization", authorization);
        await ws.ConnectAsync(new Uri($"ws://{baseUri.Authority}/v1/stt/stream{query}"), CancellationToken.None);
        return ws;
    }

    /// <summary>Receives one text message (bounded to 1 MiB).</summary>
    public static async Task<JsonElement?> ReceiveJsonAsync(WebSocket ws, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, cts.Token);
            if (r.MessageType == WebSocketMessageType.Close) return null;
            message.Write(buffer, 0, r.Count);
            if (message.Length > 1024 * 1024) throw new InvalidOperationException("message over 1 MiB");
            if (r.EndOfMessage) return JsonDocument.Parse(message.ToArray()).RootElement.Clone();
        }
    }

    /// <summary>
    /// Runs the rest of an STT session: sends <paramref name="audio"/> in 100 ms frames, then
    /// <c>close</c>, and reads every event to <c>session.closed</c>; returns the final text and the
    /// billed audio seconds. <paramref name="afterFrame"/> runs after the given frame index.
    /// </summary>
    public static async Task<(string Text, double AudioSeconds)> RunSttAsync(ClientWebSocket ws, byte[] audio, int pauseAtFrame = -1, Func<Task>? atPause = null)
    {
        var started = await ReceiveJsonAsync(ws, TimeSpan.FromSeconds(30));
        Assert.Equal("session.started", started?.GetProperty("type").GetString());
        var finals = new StringBuilder();
        double billed = -1;
        var reader = Task.Run(async () =>
        {
            while (await ReceiveJsonAsync(ws, TimeSpan.FromSeconds(60)) is { } e)
            {
                var type = e.GetProperty("type").GetString();
                if (type == "transcript.final") finals.Append(e.GetProperty("text").GetString()).Append(' ');
                if (type == "error") throw new InvalidOperationException("session error: " + e);
                if (type == "session.closed") billed = e.GetProperty("usage").GetProperty("audio_seconds").GetDouble();
            }
        });
        const int frame = 3200; // 100 ms of 16 kHz linear16
        for (int i = 0, index = 0; i < audio.Length; i += frame, index++)
        {
            await ws.SendAsync(audio.AsMemory(i, Math.Min(frame, audio.Length - i)), WebSocketMessageType.Binary, true, CancellationToken.None);
            if (index == pauseAtFrame && atPause is not null) await atPause();
        }

        await ws.SendAsync("{\"type\":\"close\"}"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        await reader;
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
        return (finals.ToString().Trim(), billed);
    }

    /// <summary>Status of a refused ClientWebSocket handshake.</summary>
    public static HttpStatusCode StatusOf(ClientWebSocket ws) => ws.HttpStatusCode;
}
