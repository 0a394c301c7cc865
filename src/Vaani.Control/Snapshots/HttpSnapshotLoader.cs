using System.Net.Http.Headers;
using System.Text.Json;

namespace Vaani.Control.Snapshots;

/// <summary>
/// Multi-node mode: <c>GET {controlUrl}/admin/v1/snapshot</c> with a root admin key. The caller
/// owns the <see cref="HttpClient"/> and its timeout; the request also honours the cancellation token.
/// </summary>
/// <remarks>
/// The body is read into memory up to <see cref="MaxBytes"/> (with or without a Content-Length) and
/// parsed on the thread pool: in the gateway the reads complete on its socket event loop, and
/// parsing a snapshot of many keys takes milliseconds the loop's streams must not wait for.
/// </remarks>
public sealed class HttpSnapshotLoader : ISnapshotLoader
{
    /// <summary>Default limit: snapshots larger than this are refused (bounded memory even against a broken server).</summary>
    public const long MaxSnapshotBytes = 64L * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly Uri _snapshotUri;
    private readonly string _adminKey;

    public HttpSnapshotLoader(HttpClient http, Uri controlUrl, string adminKey, long maxBytes = MaxSnapshotBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBytes, Array.MaxLength);
        _http = http;
        _snapshotUri = new Uri(controlUrl, "admin/v1/snapshot");
        _adminKey = adminKey;
        MaxBytes = maxBytes;
    }

    /// <summary>The largest snapshot body accepted, in bytes.</summary>
    public long MaxBytes { get; }

    public async Task<ControlSnapshot> LoadAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _snapshotUri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", _adminKey);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            var (error, whole) = await ReadAtMostAsync(response.Content, 300, ct);
            var text = System.Text.Encoding.UTF8.GetString(error.GetBuffer(), 0, (int)error.Length) + (whole ? "" : "…");
            throw new HttpRequestException($"GET {_snapshotUri} returned {(int)response.StatusCode}: {text}", null, response.StatusCode);
        }

        var length = response.Content.Headers.ContentLength;
        if (length > MaxBytes)
            throw TooLarge($"{length} bytes");
        var (json, complete) = await ReadAtMostAsync(response.Content, MaxBytes, ct);
        if (!complete)
            throw TooLarge("more than that");
        return await Task.Run(() => JsonSerializer.Deserialize<ControlSnapshot>(json.GetBuffer().AsSpan(0, (int)json.Length), ControlJson.Options), ct)
            ?? throw new HttpRequestException($"GET {_snapshotUri} returned an empty snapshot.");
    }

    private static async Task<(MemoryStream Body, bool Complete)> ReadAtMostAsync(HttpContent content, long limit, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        return await BoundedRead.ReadAtMostAsync(stream, limit, content.Headers.ContentLength, ct);
    }

    private HttpRequestException TooLarge(string size) =>
        new($"GET {_snapshotUri} returned a snapshot of {size}; the limit is {MaxBytes} bytes.");
}
