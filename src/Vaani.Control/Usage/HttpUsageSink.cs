using System.Net.Http.Headers;
using System.Net.Http.Json;
using Vaani.Control.Admin;
using Vaani.Control.Domain;

namespace Vaani.Control.Usage;

/// <summary>Multi-node mode: <c>POST {controlUrl}/admin/v1/usage/events</c> with a root admin key.</summary>
public sealed class HttpUsageSink : IUsageSink
{
    private readonly HttpClient _http;
    private readonly Uri _uri;
    private readonly string _adminKey;

    public HttpUsageSink(HttpClient http, Uri controlUrl, string adminKey)
    {
        _http = http;
        _uri = new Uri(controlUrl, "admin/v1/usage/events");
        _adminKey = adminKey;
    }

    public async Task<UsageEventsResponse> DeliverAsync(IReadOnlyList<UsageEvent> events, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri)
        {
            Content = JsonContent.Create(new UsageEventsRequest(events), options: ControlJson.Options),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", _adminKey);
        using var response = await _http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            throw new HttpRequestException($"POST {_uri} returned {(int)response.StatusCode}: {(body.Length > 300 ? body[..300] : body)}", null, response.StatusCode);
        }

        return await response.Content.ReadFromJsonAsync<UsageEventsResponse>(ControlJson.Options, ct)
            ?? throw new HttpRequestException($"POST {_uri} returned an empty body.");
    }
}
