using System.Net;
using System.Net.Http.Headers;
using Vaani.Cli.Commands;
using Vaani.Control.Admin;
using Vaani.Control.Domain;
using Vaani.Control.Keys;
using Vaani.Gateway.Control;

namespace Vaani.Cli.Tests;

/// <summary><c>vaani admin</c>'s HTTP client against a real admin API (Kestrel, SQLite) with tight rate limits.</summary>
public sealed class AdminClientTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vaani-admin-client-").FullName;
    private readonly string _root = ApiKeySecret.Generate(ApiKeyId.New());
    private ControlServer? _control;

    public async Task InitializeAsync()
    {
        _control = await ControlServer.StartAsync(new ControlServerOptions
        {
            Port = 0,
            Store = ControlStoreSpec.Parse(null, _dir),
            RootKey = _root,
            RateLimits = AdminRateLimits.Default with { KeyRequestsPerSecond = 1, KeyBurst = 1 },
        }, CancellationToken.None);
    }

    [Fact]
    public async Task SendAsync_KeyOverItsRateLimit_WaitsOutRetryAfterAndSucceeds()
    {
        // Empty the key's bucket (one request a second, burst 1) and see the server refuse.
        using var http = new HttpClient();
        HttpStatusCode status;
        do
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_control!.BaseUri, "/admin/v1/tenants"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Token", _root);
            using var response = await http.SendAsync(request);
            status = response.StatusCode;
        }
        while (status == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);

        // The CLI's client is refused too, waits the Retry-After (1 s) and gets through: a change
        // made this way carries one Idempotency-Key throughout, so it is applied once.
        using var client = new AdminClient(_control!.BaseUri, _root, "create-retry-1");
        var created = await client.SendAsync(HttpMethod.Post, "tenants", new { id = "acme", name = "Acme" }, CancellationToken.None);
        Assert.Equal("acme", created.GetProperty("id").GetString());

        var tenants = await client.SendAsync(HttpMethod.Get, "tenants", null, CancellationToken.None);
        Assert.Single(tenants.GetProperty("tenants").EnumerateArray(), t => t.GetProperty("id").GetString() == "acme");
    }

    [Theory]
    [InlineData(2, 1, 2000)]      // the server's wait
    [InlineData(10, 1, 10000)]    // the longest one waited out
    [InlineData(null, 1, 300)]    // no Retry-After: a short backoff
    [InlineData(null, 2, 600)]
    public void RetryDelay_WaitsWhatTheServerAsksUpToTheCap(int? retryAfterSeconds, int attempt, int expectedMs)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        if (retryAfterSeconds is { } s) response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(s));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), AdminClient.RetryDelay(response, attempt));
    }

    [Fact]
    public void RetryDelay_ServerAsksForLongerThanTheCap_GivesUp()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(120));
        Assert.Null(AdminClient.RetryDelay(response, 1));
        response.Headers.RetryAfter = new RetryConditionHeaderValue(DateTimeOffset.UtcNow.AddSeconds(-5));
        Assert.Equal(TimeSpan.Zero, AdminClient.RetryDelay(response, 1));
    }

    [Fact]
    public void ExitCodeOf_TooManyRequestsAfterRetries_IsUnavailableNotBadInput()
    {
        Assert.Equal(69, AdminCommand.ExitCodeOf(new AdminApiException(429, "rate_limited", "too many admin requests")));
        Assert.Equal(65, AdminCommand.ExitCodeOf(new AdminApiException(422, "invalid", "bad")));
    }

    public async Task DisposeAsync()
    {
        if (_control is not null) await _control.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
