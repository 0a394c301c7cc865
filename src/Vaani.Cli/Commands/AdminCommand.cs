using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Vaani.Control.Domain;
using Vaani.Control.Keys;

namespace Vaani.Cli.Commands;

/// <summary>
/// <c>vaani admin tenants|keys|quotas|routes|usage …</c>: the admin API over HTTP. The URL comes
/// from <c>--url</c> / <c>$VAANI_ADMIN_URL</c> (default http://127.0.0.1:8081), the admin key from
/// <c>--key</c> / <c>$VAANI_ADMIN_KEY</c>. Results are printed as JSON on stdout.
/// </summary>
internal static class AdminCommand
{
    public const string UrlVariable = "VAANI_ADMIN_URL";
    public const string KeyVariable = "VAANI_ADMIN_KEY";

    private static readonly Option<string?> Url = new("--url") { Description = $"Admin API base URL (default ${UrlVariable} or http://127.0.0.1:8081)", Recursive = true };
    private static readonly Option<string?> Key = new("--key") { Description = $"Admin API key (default ${KeyVariable})", Recursive = true };
    private static readonly Option<string?> Idempotency = new("--idempotency-key")
    {
        Description = "Idempotency-Key for a mutating call (default: a new random one per invocation); repeat it to retry safely",
        Recursive = true,
    };

    private static readonly JsonSerializerOptions Pretty = new(Vaani.Control.ControlJson.Options) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var admin = new Command("admin", "Manage tenants, API keys, quotas, routes and usage through the admin API") { Url, Key, Idempotency };
        admin.Subcommands.Add(Tenants());
        admin.Subcommands.Add(Keys());
        admin.Subcommands.Add(Quotas());
        admin.Subcommands.Add(Routes());
        admin.Subcommands.Add(UsageCommand());
        return admin;
    }

    private static Command Tenants()
    {
        var tenants = new Command("tenants", "List, create, show, disable or enable tenants");
        var list = new Command("list", "List tenants (a tenant admin key sees only its own)");
        list.SetAction((p, ct) => Call(p, HttpMethod.Get, "tenants", null, ct));
        var id = new Argument<string>("tenant") { Description = "Tenant id (1-64 of a-z, 0-9, -)" };
        var get = new Command("get", "Show one tenant") { id };
        get.SetAction((p, ct) => Call(p, HttpMethod.Get, $"tenants/{Tenant(p, id)}", null, ct));
        var name = new Option<string?>("--name") { Description = "Display name (default: the id)" };
        var create = new Command("create", "Create a tenant (root key)") { id, name };
        create.SetAction((p, ct) => Call(p, HttpMethod.Post, "tenants", new { id = Tenant(p, id), name = p.GetValue(name) ?? p.GetValue(id) }, ct));
        var disable = new Command("disable", "Disable a tenant: its keys stop authenticating (root key)") { id };
        disable.SetAction((p, ct) => Call(p, HttpMethod.Put, $"tenants/{Tenant(p, id)}/state", new { disabled = true }, ct));
        var enable = new Command("enable", "Enable a disabled tenant (root key)") { id };
        enable.SetAction((p, ct) => Call(p, HttpMethod.Put, $"tenants/{Tenant(p, id)}/state", new { disabled = false }, ct));
        tenants.Subcommands.Add(list);
        tenants.Subcommands.Add(get);
        tenants.Subcommands.Add(create);
        tenants.Subcommands.Add(disable);
        tenants.Subcommands.Add(enable);
        return tenants;
    }

    private static Command Keys()
    {
        var keys = new Command("keys", "Create, list and revoke API keys");
        var tenant = new Argument<string>("tenant") { Description = "Tenant id" };
        var list = new Command("list", "List a tenant's keys (never their secrets)") { tenant };
        list.SetAction((p, ct) => Call(p, HttpMethod.Get, $"tenants/{Tenant(p, tenant)}/keys", null, ct));

        var name = new Option<string>("--name") { Description = "Key name", Required = true };
        var scopes = new Option<string[]>("--scopes") { Description = "Scopes: stt tts admin edge (comma- or space-separated; edge: a gateway node's credential, default tenant only)", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => ["stt", "tts"] };
        var expiresAt = new Option<DateTimeOffset?>("--expires-at") { Description = "Expiry (ISO 8601, e.g. 2027-01-31T00:00:00Z)" };
        var expiresIn = new Option<double?>("--expires-in") { Description = "Expiry in seconds from now" };
        var secretOnly = new Option<bool>("--secret-only") { Description = "Print only the secret (for scripts: export VAANI_API_KEY=$(vaani admin keys create … --secret-only))" };
        var create = new Command("create", "Create a key; its secret is printed once") { tenant, name, scopes, expiresAt, expiresIn, secretOnly };
        create.SetAction(async (p, ct) =>
        {
            var scopeList = (p.GetValue(scopes) ?? []).SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
            DateTimeOffset? expiry = p.GetValue(expiresAt);
            if (p.GetValue(expiresIn) is { } seconds)
            {
                if (expiry is not null) throw new UsageException("give --expires-at or --expires-in, not both");
                if (seconds <= 0) throw new UsageException("--expires-in must be > 0 seconds");
                expiry = DateTimeOffset.UtcNow.AddSeconds(seconds);
            }

            var result = await Send(p, HttpMethod.Post, $"tenants/{Tenant(p, tenant)}/keys", new { name = p.GetValue(name), scopes = scopeList, expires_at = expiry }, ct);
            if (p.GetValue(secretOnly)) Console.Out.WriteLine(result.GetProperty("secret").GetString());
            else Print(result);
            return ExitCodes.Ok;
        });

        var keyId = new Argument<string>("key-id") { Description = "Key id (vk_…)" };
        var revoke = new Command("revoke", "Revoke a key; gateways refuse it from their next snapshot (seconds)") { tenant, keyId };
        revoke.SetAction((p, ct) => Call(p, HttpMethod.Post, $"tenants/{Tenant(p, tenant)}/keys/{Uri.EscapeDataString(p.GetValue(keyId)!)}/revoke", new { }, ct));

        var generate = new Command("generate", "Print a fresh key secret without contacting a server (for VAANI_API_KEY before the first start)");
        generate.SetAction(_ =>
        {
            Console.Out.WriteLine(ApiKeySecret.Generate(ApiKeyId.New()));
            return ExitCodes.Ok;
        });

        keys.Subcommands.Add(list);
        keys.Subcommands.Add(create);
        keys.Subcommands.Add(revoke);
        keys.Subcommands.Add(generate);
        return keys;
    }

    private static Command Quotas()
    {
        var quotas = new Command("quotas", "Show or set a tenant's limits");
        var tenant = new Argument<string>("tenant") { Description = "Tenant id" };
        var get = new Command("get", "Show a tenant's quotas (absent = unlimited)") { tenant };
        get.SetAction((p, ct) => Call(p, HttpMethod.Get, $"tenants/{Tenant(p, tenant)}/quotas", null, ct));

        var maxStt = new Option<int?>("--max-concurrent-stt") { Description = "Concurrent speech-to-text sessions" };
        var maxTts = new Option<int?>("--max-concurrent-tts") { Description = "Concurrent text-to-speech sessions/requests" };
        var audioDay = new Option<double?>("--audio-seconds-per-day") { Description = "STT audio seconds per UTC day" };
        var audioMonth = new Option<double?>("--audio-seconds-per-month") { Description = "STT audio seconds per UTC month" };
        var charsDay = new Option<long?>("--tts-chars-per-day") { Description = "TTS characters per UTC day" };
        var charsMonth = new Option<long?>("--tts-chars-per-month") { Description = "TTS characters per UTC month" };
        var rps = new Option<double?>("--requests-per-second-per-key") { Description = "Requests and WebSocket handshakes per second per key" };
        var set = new Command("set", "Replace a tenant's quotas; limits not given become unlimited (root key)") { tenant, maxStt, maxTts, audioDay, audioMonth, charsDay, charsMonth, rps };
        set.SetAction((p, ct) => Call(p, HttpMethod.Put, $"tenants/{Tenant(p, tenant)}/quotas", new TenantQuotas
        {
            MaxConcurrentStt = p.GetValue(maxStt),
            MaxConcurrentTts = p.GetValue(maxTts),
            AudioSecondsPerDay = p.GetValue(audioDay),
            AudioSecondsPerMonth = p.GetValue(audioMonth),
            TtsCharsPerDay = p.GetValue(charsDay),
            TtsCharsPerMonth = p.GetValue(charsMonth),
            RequestsPerSecondPerKey = p.GetValue(rps),
        }, ct));
        quotas.Subcommands.Add(get);
        quotas.Subcommands.Add(set);
        return quotas;
    }

    private static Command Routes()
    {
        var routes = new Command("routes", "Show or replace the installation's routing table (root key)");
        var get = new Command("get", "Print the routing table");
        get.SetAction((p, ct) => Call(p, HttpMethod.Get, "routes", null, ct));
        var file = new Argument<string>("file") { Description = "JSON routing table ('-' reads stdin); the shape 'routes get' prints" };
        var set = new Command("set", "Replace the routing table") { file };
        set.SetAction(async (p, ct) =>
        {
            var path = p.GetValue(file)!;
            var text = path == "-" ? await Console.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(path, ct);
            JsonElement body;
            try { body = JsonDocument.Parse(text).RootElement.Clone(); }
            catch (JsonException ex) { throw new UsageException($"{path} is not JSON: {ex.Message}"); }
            Print(await Send(p, HttpMethod.Put, "routes", body, ct));
            return ExitCodes.Ok;
        });
        routes.Subcommands.Add(get);
        routes.Subcommands.Add(set);
        return routes;
    }

    private static Command UsageCommand()
    {
        var tenant = new Argument<string>("tenant") { Description = "Tenant id" };
        var period = new Option<string>("--period") { Description = "day or month", DefaultValueFactory = _ => "day" };
        var from = new Option<string?>("--from") { Description = "First UTC date, YYYY-MM-DD (default: first of this month)" };
        var to = new Option<string?>("--to") { Description = "Last UTC date, YYYY-MM-DD (default: today)" };
        var usage = new Command("usage", "Show a tenant's recorded usage per day or month") { tenant, period, from, to };
        usage.SetAction((p, ct) =>
        {
            var query = new List<string> { "period=" + Uri.EscapeDataString(p.GetValue(period)!) };
            if (p.GetValue(from) is { } f) query.Add("from=" + Uri.EscapeDataString(f));
            if (p.GetValue(to) is { } t) query.Add("to=" + Uri.EscapeDataString(t));
            return Call(p, HttpMethod.Get, $"tenants/{Tenant(p, tenant)}/usage?{string.Join('&', query)}", null, ct);
        });
        return usage;
    }

    private static string Tenant(ParseResult p, Argument<string> argument)
    {
        var value = p.GetValue(argument)!;
        if (!TenantId.IsValid(value)) throw new UsageException($"tenant '{value}' is invalid: use 1-64 characters of a-z, 0-9 and -");
        return value;
    }

    private static async Task<int> Call(ParseResult p, HttpMethod method, string path, object? body, CancellationToken ct)
    {
        Print(await Send(p, method, path, body, ct));
        return ExitCodes.Ok;
    }

    private static async Task<JsonElement> Send(ParseResult p, HttpMethod method, string path, object? body, CancellationToken ct)
    {
        var url = p.GetValue(Url) ?? Environment.GetEnvironmentVariable(UrlVariable) ?? "http://127.0.0.1:8081";
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseUrl) || (baseUrl.Scheme != "http" && baseUrl.Scheme != "https"))
            throw new UsageException($"--url '{url}' is not an http(s) URL");
        var key = p.GetValue(Key) ?? Environment.GetEnvironmentVariable(KeyVariable);
        if (string.IsNullOrWhiteSpace(key))
            throw new UsageException($"no admin key: pass --key or set ${KeyVariable} (the root key is printed when 'vaani serve' or 'vaani control' first starts)");
        var idempotencyKey = p.GetValue(Idempotency) ?? "cli-" + Guid.NewGuid().ToString("N");
        using var client = new AdminClient(baseUrl, key.Trim(), idempotencyKey);
        return await client.SendAsync(method, path, body, ct);
    }

    private static void Print(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Undefined) return;
        Console.Out.WriteLine(JsonSerializer.Serialize(value, Pretty));
    }

    /// <summary>Exit code for a failed admin call.</summary>
    public static int ExitCodeOf(AdminApiException ex) => ex.Status switch
    {
        0 or 429 or >= 500 => ExitCodes.Unavailable,
        401 or 403 => ExitCodes.NoPermission,
        404 => ExitCodes.NoInput,
        _ => ExitCodes.DataError,
    };

    internal static string Format(AdminApiException ex) => ex.Status == 0
        ? ex.Message[(ex.Message.IndexOf(' ', StringComparison.Ordinal) + 1)..]
        : string.Create(CultureInfo.InvariantCulture, $"admin API refused ({ex.Message})");
}
