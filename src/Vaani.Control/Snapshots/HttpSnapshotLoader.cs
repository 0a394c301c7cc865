using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Vaani.Control.Snapshots;

/// <summary>
/// Multi-node mode: <c>GET {controlUrl}/admin/v1/snapshot</c> with a root admin key. The caller
/// owns the <see cref="HttpClient"/> and its timeout; the request also honours the cancellation token.
/// </summary>
public sealed class HttpSnapshotLoader : ISnapshotLoader
{
    /// <summary>Snapshots larger than this are refused (bounded memory even against a broken server).</summary>
    public const long MaxSnapshotBytes = 64L * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly Uri _snapshotUri;
    private readonly string _adminKey;

    public HttpSnapshotLoader(HttpClient http, Uri controlUrl, string adminKey)
    {
        _http = http;
        _snapshotUri = new Uri(controlUrl, "admin/v1/snapshot");
        _adminKey = adminKey;
    }

    public async Task<ControlSnapshot> LoadAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _snapshotUri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", _adminKey);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            throw new HttpRequestException($"GET {_snapshotUri} returned {(int)response.StatusCode}: {Truncate(body)}", null, response.StatusCode);
        }

        if (response.Content.Headers.ContentLength > MaxSnapshotBytes)
            throw new HttpRequestException($"Snapshot of {response.Content.Headers.ContentLength} bytes exceeds {MaxSnapshotBytes}.");
        return await response.Content.ReadFromJsonAsync<ControlSnapshot>(ControlJson.Options, ct)
            ?? throw new HttpRequestException($"GET {_snapshotUri} returned an empty snapshot.");
    }

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300] + "…";
}
