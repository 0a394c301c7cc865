using Vaani.Testing;
using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Vaani.Gateway.Realtime;
using Vaani.Gateway.Tests.Infrastructure;
using Vaani.Gateway.Transport;
using Vaani.Workers.Net;

namespace Vaani.Gateway.Tests.Transport;

/// <summary>
/// The gateway's own Kestrel transport and the WebSocket it hands endpoints after the handshake,
/// on real Kestrel at 127.0.0.1 port 0, against the runtime's <see cref="ClientWebSocket"/>,
/// <see cref="HttpClient"/> and hand-made frames on a raw socket.
/// </summary>
public sealed class DirectTransportTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private WebApplication _app = null!;
    private readonly Ticker _ticker = new(TimeSpan.FromSeconds(1));
    private Uri _base = null!;
    private readonly TaskCompletionSource<Exception?> _serverEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<(int Messages, Exception? Error)> _sinkEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseSockets(s => s.UnsafePreferInlineScheduling = true);
        builder.Services.AddSingleton<IConnectionListenerFactory>(new DirectTransportFactory(() => EventLoop.Shared(1)!));
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.UseWebSockets();
        _app.UseMiddleware<DirectWebSocketMiddleware>(TimeSpan.Zero, _ticker);
        _app.Map("/echo", EchoAsync);
        _app.Map("/sink", SinkAsync);
        _app.MapGet("/text", () => "hello over the direct transport");
        _app.MapGet("/download", async (HttpContext ctx) =>
        {
            var chunk = new byte[64 * 1024];
            for (int i = 0; i < 32; i++) await ctx.Response.Body.WriteAsync(chunk);
        });
        _app.MapPost("/upload", async (HttpContext ctx) =>
        {
            var buffer = new byte[81920];
            long total = 0, sum = 0;
            int n;
            while ((n = await ctx.Request.Body.ReadAsync(buffer)) > 0)
            {
                total += n;
                for (int i = 0; i < n; i++) sum += buffer[i];
            }
            return $"{total}:{sum}";
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _base = new Uri(address);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _ticker.Dispose();
    }

    /// <summary>Tells the client which WebSocket it got (unless ?quiet), then echoes whole messages until the client closes.</summary>
    private async Task EchoAsync(HttpContext ctx)
    {
        using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
        try
        {
            if (!ctx.Request.Query.ContainsKey("quiet"))
                await ws.SendAsync(Encoding.UTF8.GetBytes(ws.GetType().Name), WebSocketMessageType.Text, true, CancellationToken.None);
            var message = new MemoryStream();
            var buffer = new byte[8192];
            while (true)
            {
                // A zero-byte receive first, as the gateway's endpoints wait.
                var first = await ws.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                if (first.MessageType == WebSocketMessageType.Close)
                {
                    await ws.CloseOutputAsync(ws.CloseStatus ?? WebSocketCloseStatus.NormalClosure, ws.CloseStatusDescription, CancellationToken.None);
                    _serverEnded.TrySetResult(null);
                    return;
                }
                var type = first.MessageType;
                bool end = first.EndOfMessage;
                message.SetLength(0);
                while (!end)
                {
                    var r = await ws.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    message.Write(buffer, 0, r.Count);
                    end = r.EndOfMessage;
                }
                await ws.SendAsync(message.ToArray(), type, true, CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            _serverEnded.TrySetResult(ex);
        }
    }

    /// <summary>Counts whole messages read as the gateway's endpoints read them (<see cref="ClientSocket.ReceiveAsync"/>) until the stream ends.</summary>
    private async Task SinkAsync(HttpContext ctx)
    {
        using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
        await using var client = new ClientSocket(ws, 16);
        using var buffer = new MessageBuffer();
        int messages = 0;
        try
        {
            while (await client.ReceiveAsync(buffer, 1 << 16, 1 << 16, client.Aborted) is not null) messages++;
            _sinkEnded.TrySetResult((messages, null));
        }
        catch (Exception ex)
        {
            _sinkEnded.TrySetResult((messages, ex));
        }
    }

    private async Task<ClientWebSocket> ConnectAsync(string query = "")
    {
        var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://{_base.Authority}/echo{query}"), CancellationToken.None).WaitAsync(Timeout);
        return client;
    }

    private static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveMessageAsync(WebSocket ws)
    {
        var message = new MemoryStream();
        var buffer = new byte[16384];
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).AsTask().WaitAsync(Timeout);
            message.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return (r.MessageType, message.ToArray());
        }
    }

    [Fact]
    public async Task Upgrade_HandsTheEndpointTheDirectWebSocket_WhichEchoesTextBinaryAndFragmentedMessages()
    {
        using var client = await ConnectAsync();
        var (_, name) = await ReceiveMessageAsync(client);
        Assert.Equal(nameof(DirectWebSocket), Encoding.UTF8.GetString(name));

        await client.SendAsync(Encoding.UTF8.GetBytes("hello"), WebSocketMessageType.Text, true, CancellationToken.None);
        var (type, echo) = await ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal("hello", Encoding.UTF8.GetString(echo));

        // Payloads with each length form: 7-bit, 16-bit and 64-bit, and one message in three frames.
        foreach (var size in new[] { 0, 125, 126, 65_535, 65_536, 300_000 })
        {
            var audio = RandomNumberGenerator.GetBytes(size);
            await client.SendAsync(audio, WebSocketMessageType.Binary, true, CancellationToken.None);
            (type, echo) = await ReceiveMessageAsync(client);
            Assert.Equal(WebSocketMessageType.Binary, type);
            Assert.True(audio.AsSpan().SequenceEqual(echo), $"{size}-byte message changed on the way");
        }
        var whole = RandomNumberGenerator.GetBytes(100_003);
        await client.SendAsync(whole.AsMemory(0, 7), WebSocketMessageType.Binary, false, CancellationToken.None);
        await client.SendAsync(whole.AsMemory(7, 60_000), WebSocketMessageType.Binary, false, CancellationToken.None);
        await client.SendAsync(whole.AsMemory(60_007), WebSocketMessageType.Binary, true, CancellationToken.None);
        (_, echo) = await ReceiveMessageAsync(client);
        Assert.True(whole.AsSpan().SequenceEqual(echo));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(WebSocketState.Closed, client.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        Assert.Equal("bye", client.CloseStatusDescription);
        Assert.Null(await _serverEnded.Task.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Http_KeepAliveRequests_LargeUploadAndDownload_GoThroughTheTransport()
    {
        using var http = new HttpClient { BaseAddress = _base, Timeout = Timeout };
        Assert.Equal("hello over the direct transport", await http.GetStringAsync("/text"));
        Assert.Equal("hello over the direct transport", await http.GetStringAsync("/text"));

        // Larger than the input pipe's pause threshold (1 MiB) and the output's (64 KiB).
        var body = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 17);
        long sum = 0;
        foreach (var b in body) sum += b;
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var response = await http.PostAsync("/upload", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{body.Length}:{sum}", await response.Content.ReadAsStringAsync());

        var download = await http.GetByteArrayAsync("/download");
        Assert.Equal(32 * 64 * 1024, download.Length);
    }

    [Fact]
    public async Task Ping_IsAnsweredWithAPongCarryingItsPayload()
    {
        using var raw = await RawFrames.ConnectAsync(_base);
        await raw.SendAsync(0x9, Encoding.ASCII.GetBytes("are you there"));
        var (opcode, payload) = await raw.ReadFrameAsync();
        Assert.Equal(0xA, opcode);
        Assert.Equal("are you there", Encoding.ASCII.GetString(payload));
        // And the socket still carries data afterwards.
        await raw.SendAsync(0x1, Encoding.ASCII.GetBytes("still here"));
        (opcode, payload) = await raw.ReadFrameAsync();
        Assert.Equal(0x1, opcode);
        Assert.Equal("still here", Encoding.ASCII.GetString(payload));
    }

    [Theory]
    [InlineData("unmasked")]
    [InlineData("reserved bit")]
    [InlineData("continuation first")]
    [InlineData("long ping")]
    public async Task ProtocolError_IsAnsweredWithClose1002_AndFailsTheServersReceive(string fault)
    {
        using var raw = await RawFrames.ConnectAsync(_base);
        switch (fault)
        {
            case "unmasked": await raw.SendAsync(0x2, new byte[10], masked: false); break;
            case "reserved bit": await raw.SendAsync(0x2 | 0x40, new byte[10]); break;
            case "continuation first": await raw.SendAsync(0x0, new byte[10]); break;
            case "long ping": await raw.SendAsync(0x9, new byte[126]); break;
        }
        var (opcode, payload) = await raw.ReadFrameAsync();
        Assert.Equal(0x8, opcode);
        Assert.Equal(1002, BinaryPrimitives.ReadUInt16BigEndian(payload));
        var error = await _serverEnded.Task.WaitAsync(Timeout);
        var ws = Assert.IsType<WebSocketException>(error);
        Assert.Contains("protocol error", ws.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AbruptDisconnect_FailsTheServersPendingReceive()
    {
        var raw = await RawFrames.ConnectAsync(_base);
        await raw.SendAsync(0x2, new byte[3]);
        Assert.Equal(0x2, (await raw.ReadFrameAsync()).Opcode);
        raw.Dispose(); // no close frame
        var error = await _serverEnded.Task.WaitAsync(Timeout);
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, Assert.IsType<WebSocketException>(error).WebSocketErrorCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientSendsThenDisconnects_WhileTheLoopIsBusy_ServerGetsEveryMessageThenTheEnd(bool reset)
    {
        var raw = await RawFrames.ConnectAsync(_base, "/sink");
        await Task.Delay(100); // the server's receive now waits on the loop
        // Hold the loop's thread, as other sockets' work does, so the frames and the end of the
        // connection reach it as one event: a read that takes the frames is short, and the end comes
        // with no further event.
        using (new LoopHold(EventLoop.Shared(1)!))
        {
            for (int i = 0; i < 3; i++) await raw.SendAsync(0x2, new byte[100]);
            raw.Dispose(reset);
            await Task.Delay(100);
        }
        var (messages, error) = await _sinkEnded.Task.WaitAsync(Timeout);
        Assert.True(messages == 3, $"{messages} messages, then {error}");
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, Assert.IsType<WebSocketException>(error).WebSocketErrorCode);
    }

    [Fact]
    public void AcceptKey_MatchesTheRfcExample() =>
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", DirectWebSocketMiddleware.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="));

    /// <summary>Hand-made frames on a raw socket, for what no well-behaved client sends.</summary>
    private sealed class RawFrames : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }; // each frame leaves at once
        private readonly List<byte> _pending = [];

        public static async Task<RawFrames> ConnectAsync(Uri baseUri, string path = "/echo?quiet")
        {
            var c = new RawFrames();
            await c._socket.ConnectAsync(baseUri.Host, baseUri.Port);
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            await c._socket.SendAsync(Encoding.ASCII.GetBytes(
                $"GET {path} HTTP/1.1\r\nHost: {baseUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
            var head = "";
            while (!head.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                await c.FillAsync();
                head = Encoding.ASCII.GetString(c._pending.ToArray());
            }
            Assert.StartsWith("HTTP/1.1 101", head, StringComparison.Ordinal);
            Assert.Contains("Sec-WebSocket-Accept: " + DirectWebSocketMiddleware.AcceptKey(key), head, StringComparison.OrdinalIgnoreCase);
            c._pending.RemoveRange(0, head.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4);
            return c;
        }

        public async Task SendAsync(int first, byte[] payload, bool masked = true) =>
            await _socket.SendAsync(ClientFrame.Encode(first, payload, masked: masked));

        /// <summary>Reads one server frame (servers never mask; lengths here stay below 64 KiB).</summary>
        public async Task<(int Opcode, byte[] Payload)> ReadFrameAsync()
        {
            while (_pending.Count < 2) await FillAsync();
            int opcode = _pending[0] & 0x0F;
            int length = _pending[1] & 0x7F;
            int header = 2;
            if (length == 126)
            {
                while (_pending.Count < 4) await FillAsync();
                length = (_pending[2] << 8) | _pending[3];
                header = 4;
            }
            while (_pending.Count < header + length) await FillAsync();
            var payload = _pending.GetRange(header, length).ToArray();
            _pending.RemoveRange(0, header + length);
            return (opcode, payload);
        }

        private async Task FillAsync()
        {
            var buffer = new byte[4096];
            int n = await _socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(Timeout);
            if (n == 0) throw new EndOfStreamException("the server closed the connection");
            _pending.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        public void Dispose() => _socket.Dispose();

        /// <summary>Closes the connection: with a FIN, or a reset (RST) when <paramref name="reset"/>.</summary>
        public void Dispose(bool reset)
        {
            if (reset) _socket.LingerState = new LingerOption(true, 0);
            _socket.Dispose();
        }
    }
}
