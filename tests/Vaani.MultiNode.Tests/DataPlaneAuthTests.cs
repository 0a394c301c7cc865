using Vaani.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Vaani.Control.Domain;
using Vaani.Control.Keys;
using Vaani.MultiNode.Tests.Support;

namespace Vaani.MultiNode.Tests;

/// <summary>Authentication, scopes, limits and quotas on the real gateway, against a real control store.</summary>
[Collection(ControlledNodeCollection.Name)]
public sealed class DataPlaneAuthTests(ControlledNodeFixture node)
{
    [Fact]
    public async Task Handshake_BadCredentials_RefusedWithSpecificCodes()
    {
        var keys = await node.TenantAsync("t-auth", null, ["stt"], ["tts"], ["stt"]);
        var (stt, tts, revoked) = (keys[0], keys[1], keys[2]);
        Assert.True(ApiKeySecret.TryParse(revoked, out var revokedId));
        Assert.Equal(200, (await Wire.AdminAsync(node.Http, node.ControlUri, node.RootKey, HttpMethod.Post, $"tenants/t-auth/keys/{revokedId}/revoke", new { })).Status);
        // A key whose expiry has passed, inserted straight into the store (the API refuses past expiries).
        var expiredId = ApiKeyId.New();
        var expired = ApiKeySecret.Generate(expiredId);
        var salt = ApiKeySecret.NewSalt();
        await node.Control.Store.InsertApiKeyAsync(new ApiKey(expiredId, new TenantId("t-auth"), "expired", ApiKeyScopes.Stt,
            DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(-1), null, ApiKeySecret.Hash(expired, salt), salt));
        await node.RefreshAsync();
        Assert.True(ApiKeySecret.TryParse(stt, out var sttId));
        var wrongSecret = ApiKeySecret.Generate(sttId);
        var unknown = ApiKeySecret.Generate(ApiKeyId.New());

        var cases = new (string? Authorization, int Status, string Code)[]
        {
            (null, 401, "missing_credentials"),
            ("Token not-a-key", 401, "malformed_credentials"),
            ("Basic " + stt, 401, "malformed_credentials"),
            ("Token " + unknown, 401, "unknown_key"),
            ("Token " + wrongSecret, 401, "invalid_key"),
            ("Token " + revoked, 401, "revoked_key"),
            ("Bearer " + expired, 401, "expired_key"),
            ("Token " + tts, 403, "insufficient_scope"),
        };
        foreach (var (authorization, status, code) in cases)
        {
            var r = await Wire.HandshakeAsync(node.GatewayUri, "/v1/stt/stream", authorization);
            Assert.True(status == r.Status && code == r.ErrorCode, $"{authorization ?? "(none)"}: expected {status} {code}, got {r.Status} {r.Body}");
            if (status == 401) Assert.Equal("Token", r.Headers["www-authenticate"]);
            Assert.True(r.Headers.ContainsKey("x-vaani-snapshot-age"));
        }

        // The stt key works on STT (101) with either scheme, and is the wrong scope for TTS.
        Assert.Equal(101, (await Wire.HandshakeAsync(node.GatewayUri, "/v1/stt/stream", "Token " + stt)).Status);
        Assert.Equal(101, (await Wire.HandshakeAsync(node.GatewayUri, "/v1/stt/stream", "Bearer " + stt)).Status);
        var wrongScope = await Wire.TtsAsync(node.Http, node.GatewayUri, "hello", "Token " + stt);
        Assert.Equal((403, "insufficient_scope"), (wrongScope.Status, wrongScope.ErrorCode));
        var ok = await Wire.TtsAsync(node.Http, node.GatewayUri, "hello", "Token " + tts);
        Assert.Equal(200, ok.Status);
    }

    [Fact]
    public async Task QueryToken_IssuedForKey_AdmitsBrowserHandshake_ApiKeyInQueryRefused()
    {
        var keys = await node.TenantAsync("t-token", null, ["stt"]);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node.GatewayUri, "/v1/auth/token")) { Content = JsonContent.Create(new { scopes = new[] { "stt", "tts" }, ttl_seconds = 300 }) };
        request.Headers.TryAddWithoutValidation("Authorization", "Token " + keys[0]);
        using var response = await node.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var token = body.GetProperty("token").GetString()!;
        Assert.Equal(new[] { "stt" }, body.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()!).ToArray()); // narrowed to the key's scopes

        using var ws = await Wire.ConnectSttAsync(node.GatewayUri, null, "?token=" + Uri.EscapeDataString(token));
        Assert.Equal(WebSocketState.Open, ws.State);
        var (_, seconds) = await Wire.RunSttAsync(ws, RepoPaths.GoForward()[..32000]);
        Assert.Equal(1.0, seconds, 2);

        var inQuery = await Wire.HandshakeAsync(node.GatewayUri, "/v1/stt/stream?token=" + Uri.EscapeDataString(keys[0]));
        Assert.Equal((401, "malformed_credentials"), (inQuery.Status, inQuery.ErrorCode));
        var tooLong = await node.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(node.GatewayUri, "/v1/auth/token"))
        {
            Content = JsonContent.Create(new { ttl_seconds = 3601 }),
            Headers = { { "Authorization", "Token " + keys[0] } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
    }

    [Fact]
    public async Task SttSessions_RacingForLastTenantSlot_ExactlyOneWins()
    {
        var key = (await node.TenantAsync("t-race", new TenantQuotas { MaxConcurrentStt = 1 }, ["stt"]))[0];
        for (var round = 0; round < 5; round++)
        {
            using var start = new Barrier(8);
            var attempts = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                var ws = new ClientWebSocket();
                ws.Options.CollectHttpResponseDetails = true;
                ws.Options.SetRequestHeader("Authorization", "Token " + key);
                start.SignalAndWait();
                try
                {
                    await ws.ConnectAsync(new Uri($"ws://{node.GatewayUri.Authority}/v1/stt/stream"), CancellationToken.None);
                }
                catch (WebSocketException)
                {
                    // Refused: HttpStatusCode tells why.
                }

                return ws;
            })).ToArray();
            var sockets = await Task.WhenAll(attempts);
            var winners = sockets.Where(s => s.State == WebSocketState.Open).ToList();
            Assert.Single(winners);
            Assert.All(sockets.Except(winners), s => Assert.Equal(HttpStatusCode.TooManyRequests, s.HttpStatusCode));
            var refused = await Wire.HandshakeAsync(node.GatewayUri, "/v1/stt/stream", "Token " + key);
            Assert.Equal((429, "concurrency_limit"), (refused.Status, refused.ErrorCode));
            Assert.Contains("max_concurrent_stt", refused.ErrorMessage, StringComparison.Ordinal);
            Assert.True(refused.Headers.ContainsKey("retry-after"));

            // The winner runs a real session; its end frees the slot for the next round.
            await Wire.RunSttAsync(winners[0], RepoPaths.GoForward()[..16000]);
            foreach (var s in sockets) s.Dispose();
        }
    }

    /// <summary>
    /// A client at its tenant's concurrency limit that opens its next session the moment the last
    /// one reports <c>session.closed</c> is admitted: the slot is freed before that message is sent.
    /// </summary>
    [Fact]
    public async Task SttSession_NextOpenedOnSessionClosed_AdmittedAtConcurrencyLimit()
    {
        var key = (await node.TenantAsync("t-back-to-back", new TenantQuotas { MaxConcurrentStt = 1 }, ["stt"]))[0];
        var audio = RepoPaths.GoForward()[..6400];
        for (var i = 0; i < 8; i++)
        {
            using var ws = await ConnectAdmittedAsync(new Uri($"ws://{node.GatewayUri.Authority}/v1/stt/stream"), key, $"session {i}");
            var (_, seconds) = await Wire.RunSttAsync(ws, audio);
            Assert.Equal(0.2, seconds, 3);
        }
    }

    /// <summary>
    /// The same for Deepgram's live socket: a client that opens its next stream the moment
    /// <c>Metadata</c> (the last message before the close) arrives is admitted at a limit of 1.
    /// </summary>
    [Fact]
    public async Task DeepgramListen_NextOpenedOnMetadata_AdmittedAtConcurrencyLimit()
    {
        var key = (await node.TenantAsync("t-dg-back-to-back", new TenantQuotas { MaxConcurrentStt = 1 }, ["stt"]))[0];
        var audio = RepoPaths.GoForward()[..6400];
        var uri = new Uri($"ws://{node.GatewayUri.Authority}/v1/listen?encoding=linear16&sample_rate=16000&channels=1");
        var sockets = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var ws = await ConnectAdmittedAsync(uri, key, $"stream {i}");
                sockets.Add(ws);
                await ws.SendAsync(audio, WebSocketMessageType.Binary, true, CancellationToken.None);
                await ws.SendAsync("{\"type\":\"CloseStream\"}"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
                // Read up to Metadata only; the close handshake is left to finish in the background.
                while (await Wire.ReceiveJsonAsync(ws, TimeSpan.FromSeconds(30)) is { } message)
                {
                    if (message.GetProperty("type").GetString() == "Metadata")
                        break;
                }
            }
        }
        finally
        {
            foreach (var ws in sockets) ws.Dispose();
        }
    }

    /// <summary>And for the TTS socket: the next one, opened the moment the close frame arrives, is admitted.</summary>
    [Fact]
    public async Task TtsSocket_NextOpenedOnClose_AdmittedAtConcurrencyLimit()
    {
        var key = (await node.TenantAsync("t-tts-back-to-back", new TenantQuotas { MaxConcurrentTts = 1 }, ["tts"]))[0];
        var uri = new Uri($"ws://{node.GatewayUri.Authority}/v1/tts/stream");
        for (var i = 0; i < 8; i++)
        {
            using var ws = await ConnectAdmittedAsync(uri, key, $"socket {i}");
            await ws.SendAsync("{\"type\":\"speak\",\"context_id\":\"c1\",\"text\":\"Hi.\"}"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            await ws.SendAsync("{\"type\":\"close\"}"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            var done = false;
            while (await Wire.ReceiveJsonAsync(ws, TimeSpan.FromSeconds(30)) is { } message)
                done |= message.GetProperty("type").GetString() == "done";
            Assert.True(done, $"socket {i} closed without its context's done");
            Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
        }
    }

    /// <summary>
    /// Text a TTS context refuses with <c>context_backlog_full</c> is not synthesised, so it is not
    /// billed: the ledger holds the characters of the accepted sentences only.
    /// </summary>
    [Fact]
    public async Task TtsSocket_TextRefusedWithBacklogFull_NotCountedInUsage()
    {
        var key = (await node.TenantAsync("t-tts-backlog", null, ["tts"]))[0];
        using var ws = await ConnectAdmittedAsync(new Uri($"ws://{node.GatewayUri.Authority}/v1/tts/stream"), key, "the TTS socket");
        // Each message is one sentence, released as one segment; far more than a context queues
        // (64) arrive while the first is synthesised.
        const int sent = 200;
        for (var i = 0; i < sent; i++)
        {
            var speak = JsonSerializer.SerializeToUtf8Bytes(new { type = "speak", context_id = "c1", text = $"Sentence number {i:D3}.", @continue = true });
            await ws.SendAsync(speak, WebSocketMessageType.Text, true, CancellationToken.None);
        }
        await ws.SendAsync("{\"type\":\"cancel\",\"context_id\":\"c1\"}"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        // The refusals are sent as the speaks are handled, so all of them come before the cancel's ack.
        var refused = 0;
        while (await Wire.ReceiveJsonAsync(ws, TimeSpan.FromSeconds(30)) is { } message)
        {
            var type = message.GetProperty("type").GetString();
            if (type == "error")
            {
                Assert.Equal("context_backlog_full", message.GetProperty("code").GetString());
                refused++;
            }
            if (type == "cancelled") break;
        }
        await ws.SendAsync("{\"type\":\"close\"}"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        while (await Wire.ReceiveJsonAsync(ws, TimeSpan.FromSeconds(30)) is not null) { }
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
        Assert.InRange(refused, 1, sent - 1);

        long expected = (sent - refused) * "Sentence number 000.".Length;
        long recorded = -1;
        await Wire.PollAsync(async () =>
        {
            var (status, body) = await Wire.AdminAsync(node.Http, node.ControlUri, node.RootKey, HttpMethod.Get, "tenants/t-tts-backlog/usage?period=month");
            var buckets = status == 200 ? body.GetProperty("buckets").EnumerateArray().ToList() : [];
            if (buckets.Count == 0) return false;
            recorded = buckets.Sum(b => b.GetProperty("characters").GetInt64());
            return true;
        }, TimeSpan.FromSeconds(15), "the TTS socket's usage event in the ledger");
        Assert.Equal(expected, recorded);
    }

    /// <summary>Opens a WebSocket with <paramref name="key"/>; a refused handshake fails the test, naming <paramref name="what"/>.</summary>
    private static async Task<ClientWebSocket> ConnectAdmittedAsync(Uri uri, string key, string what)
    {
        var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.SetRequestHeader("Authorization", "Token " + key);
        try
        {
            await ws.ConnectAsync(uri, CancellationToken.None);
        }
        catch (WebSocketException ex)
        {
            var status = (int)ws.HttpStatusCode;
            ws.Dispose();
            Assert.Fail($"{what} was refused with HTTP {status} right after the previous one ended: {ex.Message}");
        }
        return ws;
    }

    [Fact]
    public async Task Requests_OverKeyRateLimit_Get429WithRetryAfter()
    {
        var key = (await node.TenantAsync("t-rate", new TenantQuotas { RequestsPerSecondPerKey = 0.2 }, ["tts", "stt"]))[0];
        var first = await Wire.TtsAsync(node.Http, node.GatewayUri, "one", "Token " + key);
        Assert.Equal(200, first.Status);
        var second = await Wire.TtsAsync(node.Http, node.GatewayUri, "two", "Token " + key);
        Assert.Equal((429, "rate_limited"), (second.Status, second.ErrorCode));
        Assert.Contains("requests_per_second_per_key", second.ErrorMessage, StringComparison.Ordinal);
        Assert.InRange(int.Parse(second.Headers["retry-after"], System.Globalization.CultureInfo.InvariantCulture), 1, 5);
        // WebSocket handshakes draw from the same bucket.
        var handshake = await Wire.HandshakeAsync(node.GatewayUri, "/v1/stt/stream", "Token " + key);
        Assert.Equal((429, "rate_limited"), (handshake.Status, handshake.ErrorCode));
    }

    [Fact]
    public async Task Tts_DailyQuotaExhausted_Gets429NamingTheQuota_AndUsageReachesLedger()
    {
        var key = (await node.TenantAsync("t-quota", new TenantQuotas { TtsCharsPerDay = 20 }, ["tts"]))[0];
        const string text = "Quota test sentence number one.";
        Assert.Equal(200, (await Wire.TtsAsync(node.Http, node.GatewayUri, text, "Token " + key)).Status);
        var refused = await Wire.TtsAsync(node.Http, node.GatewayUri, "again", "Token " + key);
        Assert.Equal((429, "quota_exceeded"), (refused.Status, refused.ErrorCode));
        Assert.Contains("tts_chars_per_day", refused.ErrorMessage, StringComparison.Ordinal);
        var retryAfter = int.Parse(refused.Headers["retry-after"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 86400);

        // The one admitted request is in the ledger once, with its characters.
        await Wire.PollAsync(async () =>
        {
            var (status, body) = await Wire.AdminAsync(node.Http, node.ControlUri, node.RootKey, HttpMethod.Get, "tenants/t-quota/usage?period=month");
            var buckets = body.GetProperty("buckets").EnumerateArray().ToList();
            return status == 200 && buckets.Count == 1 && buckets[0].GetProperty("characters").GetInt64() == text.Length && buckets[0].GetProperty("events").GetInt64() == 1;
        }, TimeSpan.FromSeconds(15), "the TTS usage event in the ledger");
    }

    [Fact]
    public async Task AdminApi_TenantAdminKey_CannotReadOrChangeAnotherTenant()
    {
        var a = await node.TenantAsync("t-iso-a", null, ["admin"], ["stt"]);
        var b = await node.TenantAsync("t-iso-b", null, ["admin"], ["stt"]);
        Assert.True(ApiKeySecret.TryParse(b[1], out var bKeyId));
        var adminA = a[0];
        var calls = new (HttpMethod Method, string Path, object? Body, int Expected)[]
        {
            (HttpMethod.Get, "tenants/t-iso-b", null, 403),
            (HttpMethod.Get, "tenants/t-iso-b/keys", null, 403),
            (HttpMethod.Post, "tenants/t-iso-b/keys", new { name = "x", scopes = new[] { "stt" } }, 403),
            (HttpMethod.Post, $"tenants/t-iso-b/keys/{bKeyId}/revoke", new { }, 403),
            (HttpMethod.Post, $"tenants/t-iso-a/keys/{bKeyId}/revoke", new { }, 404), // B's key under A's path: not found
            (HttpMethod.Get, "tenants/t-iso-b/quotas", null, 403),
            (HttpMethod.Put, "tenants/t-iso-b/quotas", new { max_concurrent_stt = 100 }, 403),
            (HttpMethod.Put, "tenants/t-iso-a/quotas", new { max_concurrent_stt = 100 }, 403), // may not raise its own limits either
            (HttpMethod.Get, "tenants/t-iso-b/usage", null, 403),
            (HttpMethod.Put, "tenants/t-iso-b/state", new { disabled = true }, 403),
            (HttpMethod.Get, "snapshot", null, 403),
            (HttpMethod.Post, "usage/events", new { events = Array.Empty<object>() }, 403),
        };
        foreach (var (method, path, body, expected) in calls)
        {
            var (status, error) = await Wire.AdminAsync(node.Http, node.ControlUri, adminA, method, path, body);
            Assert.True(expected == status, $"{method} {path}: expected {expected}, got {status} {error}");
        }

        var (listStatus, list) = await Wire.AdminAsync(node.Http, node.ControlUri, adminA, HttpMethod.Get, "tenants");
        Assert.Equal(200, listStatus);
        Assert.Equal(new[] { "t-iso-a" }, list.GetProperty("tenants").EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToArray());
        // B's key still works: nothing A tried changed it.
        await node.RefreshAsync();
        Assert.Equal(101, (await Wire.HandshakeAsync(node.GatewayUri, "/v1/stt/stream", "Token " + b[1])).Status);
        // An stt key is no admin key at all.
        Assert.Equal(403, (await Wire.AdminAsync(node.Http, node.ControlUri, a[1], HttpMethod.Get, "tenants/t-iso-a")).Status);
    }

    [Fact]
    public async Task DisabledTenant_KeysRefusedAtHandshake()
    {
        var key = (await node.TenantAsync("t-off", null, ["stt"]))[0];
        Assert.Equal(200, (await Wire.AdminAsync(node.Http, node.ControlUri, node.RootKey, HttpMethod.Put, "tenants/t-off/state", new { disabled = true })).Status);
        await node.RefreshAsync();
        var r = await Wire.HandshakeAsync(node.GatewayUri, "/v1/stt/stream", "Token " + key);
        Assert.Equal((403, "tenant_disabled"), (r.Status, r.ErrorCode));
    }
}
