using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Vaani.Cli.Commands;

/// <summary>A failed admin API call: HTTP status plus the API's error code and message.</summary>
internal sealed class AdminApiException(int status, string code, string message) : Exception($"{status} {code}: {message}")
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}

/// <summary>
/// The admin API over HTTP for <c>vaani admin</c>. Mutating calls carry one
/// <c>Idempotency-Key</c> per invocation and are retried with the same key on connection failures,
/// 503s and 429s, so a retry never applies a change twice. A 429 or 503 is retried after the
/// server's <c>Retry-After</c> when it gives one no longer than <see cref="MaxRetryAfter"/>; a longer
/// one fails at once with the server's answer rather than leaving the command hanging.
/// </summary>
internal sealed class AdminClient(Uri baseUrl, string key, string idempotencyKey) : IDisposable
{
    private const int Attempts = 3;

    /// <summary>The longest <c>Retry-After</c> the client waits out.</summary>
    internal static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        var json = body is null ? null : JsonSerializer.Serialize(body, Vaani.Control.ControlJson.Options);
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, new Uri(baseUrl, "admin/v1/" + path.TrimStart('/')));
            request.Headers.Authorization = new AuthenticationHeaderValue("Token", key);
            if (method != HttpMethod.Get) request.Headers.Add("Idempotency-Key", idempotencyKey);
            if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, ct);
            }
            catch (HttpRequestException ex) when (attempt < Attempts)
            {
                _ = ex;
                await Task.Delay(TimeSpan.FromMilliseconds(300 * attempt), ct);
                continue;
            }
            catch (HttpRequestException ex)
            {
                throw new AdminApiException(0, "unreachable", $"cannot reach the admin API at {baseUrl}: {ex.Message}");
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests && attempt < Attempts
                    && RetryDelay(response, attempt) is { } delay)
                {
                    await Task.Delay(delay, ct);
                    continue;
                }

                JsonElement parsed = default;
                if (text.Length > 0)
                {
                    try { parsed = JsonDocument.Parse(text).RootElement.Clone(); }
                    catch (JsonException) when (!response.IsSuccessStatusCode) { }
                }

                if (response.IsSuccessStatusCode) return parsed;
                if (parsed.ValueKind == JsonValueKind.Object && parsed.TryGetProperty("error", out var error))
                    throw new AdminApiException((int)response.StatusCode, error.GetProperty("code").GetString() ?? "error", error.GetProperty("message").GetString() ?? "");
                throw new AdminApiException((int)response.StatusCode, "http_error", text.Length > 300 ? text[..300] : text);
            }
        }
    }

    /// <summary>The server's Retry-After (seconds or a date), else a short backoff; null when the server asks for longer than <see cref="MaxRetryAfter"/>.</summary>
    internal static TimeSpan? RetryDelay(HttpResponseMessage response, int attempt)
    {
        var asked = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => (TimeSpan?)null,
        };
        if (asked is null) return TimeSpan.FromMilliseconds(300 * attempt);
        if (asked > MaxRetryAfter) return null;
        return asked < TimeSpan.Zero ? TimeSpan.Zero : asked;
    }

    public void Dispose() => _http.Dispose();
}
