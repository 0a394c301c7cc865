using Vaani.Control.Auth;
using Vaani.Control.Domain;
using Vaani.Control.Snapshots;
using Vaani.Control.Tests.Support;
using Vaani.Testing;

namespace Vaani.Control.Tests.Auth;

public sealed class KeyAuthenticatorTests
{
    private readonly FakeTimeProvider _time = new(TestData.T0);
    private readonly TokenIssuer _tokens;
    private readonly KeyAuthenticator _auth;
    private readonly (Domain.ApiKey Key, string Secret) _stt = TestData.Key("acme", ApiKeyScopes.Stt);
    private readonly (Domain.ApiKey Key, string Secret) _revoked = TestData.Key("acme", ApiKeyScopes.Stt, revoked: TestData.T0.AddMinutes(-1));
    private readonly (Domain.ApiKey Key, string Secret) _expired = TestData.Key("acme", ApiKeyScopes.Stt, expires: TestData.T0.AddMinutes(-1));
    private readonly (Domain.ApiKey Key, string Secret) _disabledTenant = TestData.Key("frozen", ApiKeyScopes.Stt);

    public KeyAuthenticatorTests()
    {
        _tokens = new TokenIssuer(new byte[32], _time);
        _auth = new KeyAuthenticator(_time, _tokens);
    }

    private ControlSnapshot Snapshot(DateTimeOffset? confirmedAt = null) => new()
    {
        Version = 7,
        BuiltAt = TestData.T0,
        ConfirmedAt = confirmedAt ?? _time.GetUtcNow(),
        Keys = new[] { _stt, _revoked, _expired, _disabledTenant }.ToDictionary(k => k.Key.Id, k => SnapshotKey.From(k.Key)),
        Tenants = new[] { TestData.Tenant("acme"), TestData.Tenant("frozen", disabled: true) }.ToDictionary(t => t.Id),
    };

    private AuthFailureCode? Fail(string? header, string scope = "stt", string? query = null, ControlSnapshot? snapshot = null)
        => _auth.Authenticate(header, scope, snapshot ?? Snapshot(), query).Failure;

    [Fact]
    public void Authenticate_ValidTokenScheme_Succeeds()
    {
        var result = _auth.Authenticate("Token " + _stt.Secret, "stt", Snapshot());
        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(new TenantId("acme"), result.Principal!.Tenant);
        Assert.Equal(_stt.Key.Id, result.Principal.KeyId);
    }

    [Fact]
    public void Authenticate_BearerScheme_Succeeds() => Assert.Null(Fail("Bearer " + _stt.Secret));

    [Fact]
    public void Authenticate_NoCredentials_MissingCredentials()
    {
        Assert.Equal(AuthFailureCode.MissingCredentials, Fail(null));
        Assert.Equal(AuthFailureCode.MissingCredentials, Fail("  "));
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Token")]
    [InlineData("Token vaani_notakey")]
    [InlineData("Token sk-1234567890")]
    [InlineData("Token vaani_vk_zzzzzzzzzzzzzzzz_0123456789012345678901234567890123456789012")]
    public void Authenticate_Malformed_MalformedCredentials(string header) => Assert.Equal(AuthFailureCode.MalformedCredentials, Fail(header));

    [Fact]
    public void Authenticate_WellFormedUnknownId_UnknownKey()
    {
        var other = TestData.Key("acme", ApiKeyScopes.Stt);
        Assert.Equal(AuthFailureCode.UnknownKey, Fail("Token " + other.Secret));
    }

    [Fact]
    public void Authenticate_KnownIdWrongSecret_InvalidKey()
    {
        var tampered = _stt.Secret[..^1] + (_stt.Secret[^1] == 'a' ? 'b' : 'a');
        Assert.Equal(AuthFailureCode.InvalidKey, Fail("Token " + tampered));
    }

    [Fact]
    public void Authenticate_Revoked_RevokedKey() => Assert.Equal(AuthFailureCode.RevokedKey, Fail("Token " + _revoked.Secret));

    [Fact]
    public void Authenticate_Expired_ExpiredKey() => Assert.Equal(AuthFailureCode.ExpiredKey, Fail("Token " + _expired.Secret));

    [Fact]
    public void Authenticate_MissingScope_InsufficientScope()
    {
        Assert.Equal(AuthFailureCode.InsufficientScope, Fail("Token " + _stt.Secret, "tts"));
        Assert.Equal(AuthFailureCode.InsufficientScope, Fail("Token " + _stt.Secret, "admin"));
    }

    [Fact]
    public void Authenticate_DisabledTenant_TenantDisabled() => Assert.Equal(AuthFailureCode.TenantDisabled, Fail("Token " + _disabledTenant.Secret));

    [Fact]
    public void Authenticate_NoSnapshotYet_ControlPlaneUnavailable()
        => Assert.Equal(AuthFailureCode.ControlPlaneUnavailable, Fail("Token " + _stt.Secret, snapshot: ControlSnapshot.Empty));

    [Fact]
    public void Authenticate_SnapshotWithinMaxStaleness_Admits()
        => Assert.Null(Fail("Token " + _stt.Secret, snapshot: Snapshot(_time.GetUtcNow() - TimeSpan.FromMinutes(14))));

    [Fact]
    public void Authenticate_SnapshotBeyondMaxStaleness_ControlPlaneUnavailable()
    {
        var result = _auth.Authenticate("Token " + _stt.Secret, "stt", Snapshot(_time.GetUtcNow() - TimeSpan.FromMinutes(16)));
        Assert.Equal(AuthFailureCode.ControlPlaneUnavailable, result.Failure);
        Assert.Equal("control_plane_unavailable", result.Failure!.Value.ToWire());
        Assert.Equal(503, result.Failure.Value.HttpStatus());
    }

    [Fact]
    public void Authenticate_SecretInQueryString_Malformed()
        => Assert.Equal(AuthFailureCode.MalformedCredentials, Fail(null, query: _stt.Secret));

    [Fact]
    public void Authenticate_TokenInQuery_SucceedsWithoutSecret()
    {
        var token = _tokens.Issue(new TenantId("acme"), _stt.Key.Id, ApiKeyScopes.Stt, TimeSpan.FromMinutes(5));
        var result = _auth.Authenticate(null, "stt", Snapshot(), token);
        Assert.True(result.Succeeded, result.Message);
        Assert.True(result.Principal!.ViaToken);
    }

    [Fact]
    public void Authenticate_TokenAfterExpiry_ExpiredKey()
    {
        var token = _tokens.Issue(new TenantId("acme"), _stt.Key.Id, ApiKeyScopes.Stt, TimeSpan.FromMinutes(1));
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(AuthFailureCode.ExpiredKey, Fail(null, query: token));
    }

    [Fact]
    public void Authenticate_TokenTampered_InvalidKey()
    {
        var token = _tokens.Issue(new TenantId("acme"), _stt.Key.Id, ApiKeyScopes.Stt, TimeSpan.FromMinutes(5));
        var forged = new TokenIssuer(Enumerable.Repeat((byte)1, 32).ToArray(), _time).Issue(new TenantId("acme"), _stt.Key.Id, ApiKeyScopes.Stt | ApiKeyScopes.Tts, TimeSpan.FromMinutes(5));
        Assert.Equal(AuthFailureCode.InvalidKey, Fail(null, query: forged));
        Assert.Equal(AuthFailureCode.MalformedCredentials, Fail(null, query: token + "x!"));
    }

    [Fact]
    public void Authenticate_TokenOfRevokedKey_RevokedKey()
    {
        var token = _tokens.Issue(new TenantId("acme"), _revoked.Key.Id, ApiKeyScopes.Stt, TimeSpan.FromMinutes(5));
        Assert.Equal(AuthFailureCode.RevokedKey, Fail("Bearer " + token));
    }

    [Fact]
    public void Authenticate_TokenScopesCannotExceedKey_InsufficientScope()
    {
        var token = _tokens.Issue(new TenantId("acme"), _stt.Key.Id, ApiKeyScopes.Stt | ApiKeyScopes.Tts, TimeSpan.FromMinutes(5));
        Assert.Equal(AuthFailureCode.InsufficientScope, Fail(null, "tts", token));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(61)]
    public void Issue_LifetimeOutOfRange_Throws(double minutes)
    {
        var ex = Assert.Throws<ControlException>(() => _tokens.Issue(new TenantId("acme"), _stt.Key.Id, ApiKeyScopes.Stt, TimeSpan.FromMinutes(minutes)));
        Assert.Contains("between 1 and 60 minutes", ex.Message);
    }
}
