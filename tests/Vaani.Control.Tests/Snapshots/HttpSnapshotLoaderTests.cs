using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vaani.Control.Snapshots;

namespace Vaani.Control.Tests.Snapshots;

/// <summary>
/// <see cref="HttpSnapshotLoader"/> against a real Kestrel server (127.0.0.1:0) that answers the
/// snapshot route the way a broken or hostile control plane might: a body without Content-Length
/// (chunked) larger than the limit, and a huge error body. Memory stays bounded either way.
/// </summary>
public sealed class HttpSnapshotLoaderTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private Uri _base = null!;
    private byte[] _snapshotJson = null!;

    public async Task InitializeAsync()
    {
        _snapshotJson = JsonSerializer.SerializeToUtf8Bytes(ControlSnapshot.Empty with { Version = 42, BuiltAt = DateTimeOffset.UnixEpoch }, ControlJson.Options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/chunked/admin/v1/snapshot", async (HttpContext ctx) =>
        {
            // Written in pieces and flushed, without a Content-Length: the response is chunked.
            ctx.Response.ContentType = "application/json";
            foreach (var piece in _snapshotJson.Chunk(16))
            {
                await ctx.Response.Body.WriteAsync(piece);
                await ctx.Response.Body.FlushAsync();
            }
        });
        _app.MapGet("/failing/admin/v1/snapshot", async (HttpContext ctx) =>
        {
            ctx.Response.StatusCode = 500;
            for (int i = 0; i < 64; i++)
                await ctx.Response.WriteAsync(new string('x', 16 * 1024));
        });
        await _app.StartAsync();
        _base = new Uri(_app.Urls.First() + "/");
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task ChunkedBody_WithinLimit_Loads()
    {
        var loader = new HttpSnapshotLoader(_http, new Uri(_base, "chunked/"), "vk_unused");
        var snapshot = await loader.LoadAsync(CancellationToken.None);
        Assert.Equal(42, snapshot.Version);
    }

    [Fact]
    public async Task ChunkedBody_OverLimit_RefusedWithoutReadingItAll()
    {
        var limit = _snapshotJson.Length - 1;
        var loader = new HttpSnapshotLoader(_http, new Uri(_base, "chunked/"), "vk_unused", maxBytes: limit);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => loader.LoadAsync(CancellationToken.None));
        Assert.Contains($"the limit is {limit} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ErrorStatus_HugeBody_MessageKeepsOnlyItsStart()
    {
        var loader = new HttpSnapshotLoader(_http, new Uri(_base, "failing/"), "vk_unused");
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => loader.LoadAsync(CancellationToken.None));
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Contains("returned 500: xxx", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 500, $"the error message carries {error.Message.Length} characters of the body");
        Assert.EndsWith("…", error.Message, StringComparison.Ordinal);
    }
}
