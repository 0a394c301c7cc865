using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Vaani.Gateway.Tests.Infrastructure;

/// <summary>A real ClientWebSocket that records every server message until the close.</summary>
internal sealed class WsClient : IAsyncDisposable
{
    private readonly ClientWebSocket _ws = new();
    private readonly List<JsonElement> _messages = [];
    private readonly List<byte[]> _binary = [];
    private readonly object _gate = new();
    private Task? _reader;

    public WebSocketCloseStatus? CloseStatus => _ws.CloseStatus;
    public string? CloseDescription => _ws.CloseStatusDescription;
    public WebSocketState State => _ws.State;

    public IReadOnlyList<JsonElement> Messages { get { lock (_gate) return _messages.ToArray(); } }

    public static async Task<WsClient> ConnectAsync(Uri uri, bool read = true, CancellationToken ct = default)
    {
        var c = new WsClient();
        await c._ws.ConnectAsync(uri, ct);
        if (read) c._reader = Task.Run(c.ReadLoopAsync, CancellationToken.None);
        return c;
    }

    public IEnumerable<JsonElement> OfType(string type) => Messages.Where(m => m.TryGetProperty("type", out var t) && t.GetString() == type);

    public Task SendJsonAsync(object message) =>
        _ws.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendTextAsync(string text) =>
        _ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBinaryAsync(ReadOnlyMemory<byte> data) =>
        _ws.SendAsync(data, WebSocketMessageType.Binary, true, CancellationToken.None).AsTask();

    /// <summary>Sends audio in frames of <paramref name="frameBytes"/>; paced to real time when <paramref name="bytesPerSecond"/> is given.</summary>
    public async Task SendAudioAsync(byte[] audio, int frameBytes, int? bytesPerSecond = null, Func<int, Task>? afterFrame = null)
    {
        var start = System.Diagnostics.Stopwatch.StartNew();
        for (int offset = 0, i = 0; offset < audio.Length; offset += frameBytes, i++)
        {
            await SendBinaryAsync(audio.AsMemory(offset, Math.Min(frameBytes, audio.Length - offset)));
            if (afterFrame is not null) await afterFrame(offset + frameBytes);
            if (bytesPerSecond is { } bps)
            {
                var due = TimeSpan.FromSeconds((double)(offset + frameBytes) / bps);
                var wait = due - start.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
            }
        }
    }

    /// <summary>Waits until a message satisfies <paramref name="predicate"/> or the socket closes.</summary>
    public async Task<JsonElement?> WaitForAsync(Func<JsonElement, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var hit = Messages.FirstOrDefault(predicate);
            if (hit.ValueKind != JsonValueKind.Undefined) return hit;
            if (_reader is { IsCompleted: true }) return null;
            await Task.Delay(20);
        }
        return null;
    }

    public Task<JsonElement?> WaitForTypeAsync(string type, TimeSpan timeout) =>
        WaitForAsync(m => m.TryGetProperty("type", out var t) && t.GetString() == type, timeout);

    /// <summary>Waits for the server to close (the reader to finish).</summary>
    public async Task<bool> WaitClosedAsync(TimeSpan timeout)
    {
        if (_reader is null) return false;
        return await Task.WhenAny(_reader, Task.Delay(timeout)) == _reader;
    }

    public async Task CloseOutputAsync() =>
        await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);

    public void Abort() => _ws.Abort();

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[1 << 16];
        using var ms = new MemoryStream();
        try
        {
            while (true)
            {
                var r = await _ws.ReceiveAsync(buffer, CancellationToken.None);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    if (_ws.State == WebSocketState.CloseReceived)
                        await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    return;
                }
                ms.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage) continue;
                if (r.MessageType == WebSocketMessageType.Text)
                {
                    using var doc = JsonDocument.Parse(ms.ToArray());
                    lock (_gate) _messages.Add(doc.RootElement.Clone());
                }
                else lock (_gate) _binary.Add(ms.ToArray());
                ms.SetLength(0);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _ws.Abort();
        if (_reader is not null) await _reader;
        _ws.Dispose();
    }
}
