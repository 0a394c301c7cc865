using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Vaani.Gateway.Hosting;

namespace Vaani.Gateway.Tests;

/// <summary>
/// With inline socket completions (this suite runs with them, as the gateway does) a request starts
/// on the epoll thread that read it. <see cref="LeaveEventLoopMiddleware"/> must move plain HTTP
/// requests — and every continuation inside them — to the thread pool, and leave WebSocket
/// requests on the event loop. Real Kestrel on 127.0.0.1 port 0, configured as GatewayApp does.
/// </summary>
public sealed class LeaveEventLoopTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private Uri _base = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseSockets(s => s.UnsafePreferInlineScheduling = true);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.UseWebSockets();
        _app.UseMiddleware<LeaveEventLoopMiddleware>();
        _app.MapGet("/probe", async ctx => await ctx.Response.WriteAsync(await ProbeAsync()));
        _app.Map("/ws", async ctx =>
        {
            using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
            var answer = "ready";
            while (true)
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes(answer), WebSocketMessageType.Text, true, CancellationToken.None);
                var receive = socket.ReceiveAsync(new byte[16], CancellationToken.None);
                // Only a read that had to wait for the client completes on the epoll thread; if the
                // message was already buffered, ask the client for another one.
                bool waited = !receive.IsCompleted;
                var result = await receive;
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }
                answer = !waited ? "again" : Thread.CurrentThread.IsThreadPoolThread ? "pool" : "loop";
            }
        });
        await _app.StartAsync();
        _base = new Uri(_app.Urls.First());
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    /// <summary>
    /// Where the handler starts, and where it resumes after awaiting an operation completed by a
    /// thread outside the pool (as a worker connection's reader thread completes a transcript).
    /// </summary>
    private static async Task<string> ProbeAsync()
    {
        bool startedOnPool = Thread.CurrentThread.IsThreadPoolThread;
        var done = new TaskCompletionSource();   // continuations run on the completing thread
        var completer = new Thread(() => { Thread.Sleep(100); done.SetResult(); }) { IsBackground = true };
        completer.Start();
        await done.Task;
        bool resumedOnPool = Thread.CurrentThread.IsThreadPoolThread && Environment.CurrentManagedThreadId != completer.ManagedThreadId;
        return $"{startedOnPool} {resumedOnPool}";
    }

    [Fact]
    public async Task HttpRequest_StartsAndResumesOnThreadPool()
    {
        Assert.True(SocketEventLoop.IsEnabled, "the suite must run with inline socket completions for this test to mean anything");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        for (int i = 0; i < 5; i++)
        {
            var answer = await http.GetStringAsync(new Uri(_base, "/probe"), CancellationToken.None);
            Assert.Equal("True True", answer);
        }
    }

    [Fact]
    public async Task WebSocketRequest_ContinuesOnTheEventLoop()
    {
        Assert.True(SocketEventLoop.IsEnabled, "the suite must run with inline socket completions for this test to mean anything");
        using var client = new ClientWebSocket();
        var ws = new UriBuilder(_base) { Scheme = "ws", Path = "/ws" }.Uri;
        await client.ConnectAsync(ws, CancellationToken.None);
        var buffer = new byte[16];
        var answer = "again";
        for (int attempt = 0; attempt < 20 && answer is "again" or "ready"; attempt++)
        {
            var result = await client.ReceiveAsync(buffer, CancellationToken.None);
            answer = Encoding.UTF8.GetString(buffer, 0, result.Count);
            if (answer is "again" or "ready")
            {
                await Task.Delay(50);   // let the server's read start waiting first
                await client.SendAsync("go"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            }
        }
        Assert.Equal("loop", answer);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(4, 1)]
    [InlineData(8, 2)]
    [InlineData(64, 16)]
    public void LoopCount_OnePerFourCores_AtLeastOne(int cores, int loops) =>
        Assert.Equal(loops, SocketEventLoop.LoopCount(cores));
}
