using Vaani.Control.Domain;
using Vaani.Control.Keys;

namespace Vaani.Control.Tests.Auth;

public sealed class ApiKeySecretTests
{
    [Fact]
    public void Generate_Twice_DistinctSecretsThatParseBackToTheId()
    {
        var id = ApiKeyId.New();
        var a = ApiKeySecret.Generate(id);
        var b = ApiKeySecret.Generate(id);
        Assert.NotEqual(a, b);
        Assert.Matches("^vaani_vk_[0-9a-f]{16}_[0-9A-Za-z]{43}$", a);
        Assert.True(ApiKeySecret.TryParse(a, out var parsed));
        Assert.Equal(id, parsed);
    }

    [Fact]
    public void Hash_SameSecretDifferentSalt_DifferentHashes()
    {
        var secret = ApiKeySecret.Generate(ApiKeyId.New());
        var s1 = ApiKeySecret.NewSalt();
        var s2 = ApiKeySecret.NewSalt();
        Assert.NotEqual(ApiKeySecret.Hash(secret, s1), ApiKeySecret.Hash(secret, s2));
        Assert.True(ApiKeySecret.Verify(secret, s1, ApiKeySecret.Hash(secret, s1)));
        Assert.False(ApiKeySecret.Verify(secret + "x", s1, ApiKeySecret.Hash(secret, s1)));
    }
}
