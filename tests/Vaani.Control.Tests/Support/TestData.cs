using Vaani.Control.Domain;
using Vaani.Control.Keys;

namespace Vaani.Control.Tests.Support;

internal static class TestData
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    public static Tenant Tenant(string id, bool disabled = false) => new(new TenantId(id), "Tenant " + id, T0, disabled);

    public static (ApiKey Key, string Secret) Key(string tenant, ApiKeyScopes scopes, DateTimeOffset? expires = null, DateTimeOffset? revoked = null)
    {
        var id = ApiKeyId.New();
        var secret = ApiKeySecret.Generate(id);
        var salt = ApiKeySecret.NewSalt();
        return (new ApiKey(id, new TenantId(tenant), "k", scopes, T0, expires, revoked, ApiKeySecret.Hash(secret, salt), salt), secret);
    }

    public static UsageEvent Usage(string id, string tenant, UsageKind kind, double seconds = 0, long chars = 0, DateTimeOffset? at = null)
        => new(id, new TenantId(tenant), null, kind, seconds, chars, "m1", at ?? T0);

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vaani-ctl-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
