using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Vaani.Bench.Gateway;

/// <summary>
/// One real-time STT stream of the load: a <see cref="ClientWebSocket"/> that sends 20 ms frames on
/// a fixed schedule and matches each <c>transcript.partial</c> to the frame that triggered it (by
/// its <c>end</c> time), recording the round trip.
/// </summary>
internal sealed class StreamClient : IAsyncDisposable
{
    private static readonly byte[] Frame = new byte[StreamLoad.FrameBytes];
    private static readonly byte[] CloseMessage = Encoding.UTF8.GetBytes("""{"type":"close"}""");

    private readonly ClientWebSocket _ws;
    private readonly TaskCompletionSource<string> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long[] _sentAt = [];
    private Task _receiver = Task.CompletedTask;
    private int _disposed;

    private StreamClient(ClientWebSocket ws) => _ws = ws;

    /// <summary>Round trips in milliseconds, one per matched response.</summary>
    public List<double> Latencies { get; } = [];

    /// <summary>Most a frame was sent after its scheduled time (shows whether the load generator kept up).</summary>
    public double MaxSendLagMs { get; private set; }

    public long FramesSent { get; private set; }

    public int Responses { get; private set; }

    public bool Closed { get; private set; }

    /// <summary>Connects and waits for <c>session.started</c>. Throws <see cref="RefusedException"/> when the handshake is refused with an HTTP status.</summary>
    public static async Task<StreamClient> OpenAsync(Uri uri, int maxFrames, CancellationToken cancellationToken)
    {
        var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.KeepAliveInterval = TimeSpan.Zero;
        try
        {
            await ws.ConnectAsync(uri, cancellationToken);
        }
        catch (WebSocketException) when (ws.HttpStatusCode is not (HttpStatusCode)0 and not HttpStatusCode.SwitchingProtocols)
        {
            var status = ws.HttpStatusCode;
            ws.Dispose();
            throw new RefusedException(status);
        }
        catch
        {
            ws.Dispose();
            throw;
        }
        var client = new StreamClient(ws) { _sentAt = new long[(maxFrames / StreamLoad.ResponseEveryFrames) + 1] };
        client._receiver = Task.Run(client.ReceiveLoopAsync, CancellationToken.None);
        try
        {
            await client._started.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        return client;
    }

    /// <summary>Sends <paramref name="frames"/> frames, frame k at <paramref name="start"/> + k × 20 ms (Stopwatch ticks).</summary>
    public async Task SendAsync(long start, int frames, CancellationToken cancellationToken)
    {
        long frameTicks = Stopwatch.Frequency * StreamLoad.FrameMs / 1000;
        for (int k = 1; k <= frames; k++)
        {
            long due = start + (k * frameTicks);
            long now = Stopwatch.GetTimestamp();
            if (due > now)
                await Task.Delay(TimeSpan.FromSeconds((due - now) / (double)Stopwatch.Frequency), cancellationToken);
            now = Stopwatch.GetTimestamp();
            MaxSendLagMs = Math.Max(MaxSendLagMs, (now - due) * 1000.0 / Stopwatch.Frequency);
            if (k % StreamLoad.ResponseEveryFrames == 0)
                Volatile.Write(ref _sentAt[(k / StreamLoad.ResponseEveryFrames) - 1], now);
            await _ws.SendAsync(Frame, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
            FramesSent++;
        }
    }

    /// <summary>Ends the stream as a client should (a <c>close</c> message) and waits for the server to close.</summary>
    public async Task CloseAsync(TimeSpan timeout)
    {
        try
        {
            if (_ws.State == WebSocketState.Open)
                await _ws.SendAsync(CloseMessage, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            await _receiver.WaitAsync(timeout);
            if (_ws.State == WebSocketState.CloseReceived)
                await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(timeout);
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException or OperationCanceledException)
        {
            _ws.Abort();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                    result = await _ws.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage);
                long now = Stopwatch.GetTimestamp();
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Closed = true;
                    _started.TrySetException(new InvalidOperationException($"closed before session.started: {_ws.CloseStatus} {_ws.CloseStatusDescription}"));
                    return;
                }
                if (result.MessageType == WebSocketMessageType.Text)
                    OnMessage(buffer.AsSpan(0, count), now);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _started.TrySetException(ex);
        }
    }

    private void OnMessage(ReadOnlySpan<byte> json, long now)
    {
        string? type = null;
        double end = -1;
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
            if (reader.ValueTextEquals("type")) { reader.Read(); type = reader.GetString(); }
            else if (reader.ValueTextEquals("end")) { reader.Read(); end = reader.GetDouble(); }
        }
        switch (type)
        {
            case "session.started":
                _started.TrySetResult(type);
                break;
            case "transcript.partial" when end > 0:
                // end = audio time of the frame that triggered the partial: frame k ends at k × 20 ms.
                int k = (int)Math.Round(end * 1000 / StreamLoad.FrameMs);
                int index = (k / StreamLoad.ResponseEveryFrames) - 1;
                if (k % StreamLoad.ResponseEveryFrames != 0 || index < 0 || index >= _sentAt.Length) break;
                long sent = Volatile.Read(ref _sentAt[index]);
                if (sent == 0) break;
                Latencies.Add((now - sent) * 1000.0 / Stopwatch.Frequency);
                Responses++;
                break;
        }
    }

    /// <summary>Aborts the socket and waits for the receiver, so <see cref="Latencies"/> is final.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _ws.Abort();
        try { await _receiver; } catch (Exception) { }
        _ws.Dispose();
    }
}

/// <summary>The server refused the WebSocket handshake with an HTTP status (e.g. 503 at capacity).</summary>
internal sealed class RefusedException(HttpStatusCode status) : Exception($"handshake refused with HTTP {(int)status}")
{
    public HttpStatusCode Status { get; } = status;
}
