using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Vaani.Gateway.Compat;

/// <summary>
/// Outbound HTTP for the compatible APIs: fetching audio from a URL and delivering callbacks.
/// Every connection is checked by <see cref="AddressPolicy"/> at connect time (so DNS rebinding and
/// redirects cannot reach an internal address), only http and https are allowed, and bodies and
/// time are bounded.
/// </summary>
public sealed class RemoteHttp : IDisposable
{
    private readonly CompatOptions _options;
    private readonly HttpClient _client;

    public RemoteHttp(CompatOptions options)
    {
        _options = options;
        var policy = new AddressPolicy(options.FetchAllowedNetworks);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = options.MaxFetchRedirects > 0,
            MaxAutomaticRedirections = Math.Max(1, options.MaxFetchRedirects),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            UseProxy = false, // a proxy would connect on our behalf, past the address check
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = async (context, ct) =>
            {
                var addresses = await policy.ResolveAsync(context.DnsEndPoint.Host, ct).ConfigureAwait(false);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("vaani", "1.0"));
    }

    /// <summary>Checks a URL given by a client: absolute, http or https, with a host.</summary>
    public static Uri ValidateUrl(string? url, string field)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri))
            throw new FetchException($"{field} must be an absolute http or https URL");
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            throw new FetchException($"{field} uses the scheme '{uri.Scheme}': only http and https are allowed");
        if (!string.IsNullOrEmpty(uri.UserInfo))
            throw new FetchException($"{field} must not carry credentials");
        return uri;
    }

    /// <summary>Downloads <paramref name="url"/> into memory, bounded by <see cref="CompatOptions.MaxFetchBytes"/> and <see cref="CompatOptions.FetchTimeout"/>.</summary>
    public async Task<byte[]> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.FetchTimeout);
        try
        {
            using var response = await _client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new FetchException($"fetching {Describe(url)} answered HTTP {(int)response.StatusCode}");
            if (response.Content.Headers.ContentLength is long declared && declared > _options.MaxFetchBytes)
                throw new FetchException($"{Describe(url)} is {declared} bytes; the limit is {_options.MaxFetchBytes}");
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            using var ms = new MemoryStream();
            var buffer = new byte[81920];
            int n;
            while ((n = await body.ReadAsync(buffer, timeout.Token).ConfigureAwait(false)) > 0)
            {
                if (ms.Length + n > _options.MaxFetchBytes)
                    throw new FetchException($"{Describe(url)} is larger than the limit of {_options.MaxFetchBytes} bytes");
                ms.Write(buffer, 0, n);
            }
            return ms.ToArray();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FetchException($"fetching {Describe(url)} took longer than {_options.FetchTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex) when (ex.InnerException is FetchException inner)
        {
            throw inner;
        }
        catch (HttpRequestException ex)
        {
            throw new FetchException($"fetching {Describe(url)} failed: {ex.Message}");
        }
    }

    /// <summary>Sends a JSON body once (POST or PUT); throws <see cref="FetchException"/> (retryable or not) on failure.</summary>
    public async Task SendJsonAsync(HttpMethod method, Uri url, string json, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.CallbackTimeout);
        using var request = new HttpRequestMessage(method, url) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status is >= 200 and < 300) return;
            // 408, 429 and 5xx may pass; other 4xx mean the receiver refuses this delivery.
            bool retryable = status is 408 or 429 or >= 500;
            throw new FetchException($"the callback answered HTTP {status}", isPermanent: !retryable);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FetchException($"the callback did not answer within {_options.CallbackTimeout.TotalSeconds:0} s", isPermanent: false);
        }
        catch (HttpRequestException ex) when (ex.InnerException is FetchException inner)
        {
            throw inner;
        }
        catch (HttpRequestException ex)
        {
            throw new FetchException($"the callback could not be reached: {ex.Message}", isPermanent: false);
        }
    }

    private static string Describe(Uri url) => $"{url.Scheme}://{url.Authority}{url.AbsolutePath}";

    public void Dispose() => _client.Dispose();
}
