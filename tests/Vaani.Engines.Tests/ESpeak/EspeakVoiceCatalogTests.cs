using Vaani.Engines.ESpeak;

namespace Vaani.Engines.Tests.ESpeak;

public sealed class EspeakVoiceCatalogTests
{
    private static EspeakVoiceCatalog Catalog() => new(
    [
        new("gmw/en", "English (Great Britain)", 1, [new(2, "en-gb"), new(2, "en")]),
        new("gmw/en-US", "English (America)", 1, [new(2, "en-us"), new(3, "en")]),
        new("inc/hi", "Hindi", 2, [new(5, "hi")]),
        new("roa/pt", "Portuguese (Portugal)", 1, [new(5, "pt"), new(5, "pt-pt")]),
        new("roa/pt-BR", "Portuguese (Brazil)", 1, [new(5, "pt-br"), new(6, "pt")]),
        new("sit/yue", "Chinese (Cantonese)", 1, [new(5, "yue"), new(5, "zh-yue")]),
        new("sit/yue-Latn-jyutping", "Chinese (Cantonese, latin as Jyutping)", 1, [new(5, "yue")]),
        new("bad/none", "No languages", 0, []),
    ]);

    [Fact]
    public void Voices_SharedPrimaryLanguage_GetUniqueIds()
    {
        var ids = Catalog().Voices.Select(v => v.Id).ToList();
        Assert.Equal(["en-gb", "en-us", "hi", "pt", "pt-br", "yue", "yue-latn-jyutping"], ids);
    }

    [Theory]
    [InlineData(null, "hi-IN", "inc/hi")]
    [InlineData(null, "EN_us", "gmw/en-US")]
    [InlineData(null, "en", "gmw/en")]
    [InlineData(null, "en-AU", "gmw/en")]
    [InlineData(null, "pt-BR", "roa/pt-BR")]
    [InlineData(null, null, "gmw/en")]
    [InlineData("yue-latn-jyutping", null, "sit/yue-Latn-jyutping")]
    [InlineData("HI", "en", "inc/hi")]
    [InlineData("inc/hi", null, "inc/hi")]
    [InlineData("Hindi", null, "inc/hi")]
    public void Resolve_VoiceOrLanguage_PicksBestVoice(string? voice, string? language, string identifier) =>
        Assert.Equal(identifier, Catalog().Resolve(voice, language, "en").Identifier);

    [Fact]
    public void Resolve_BaseLanguageWithOnlyRegionalVoices_PicksARegionalVoice()
    {
        var catalog = new EspeakVoiceCatalog([new("x/fr-BE", "French (Belgium)", 1, [new(5, "fr-be")])]);
        Assert.Equal("x/fr-BE", catalog.Resolve(null, "fr", "en").Identifier);
    }

    [Theory]
    [InlineData("klingon", null, "unknown_voice")]
    [InlineData(null, "xx", "unsupported_language")]
    [InlineData(null, "x-en", "unsupported_language")]
    public void Resolve_Unknown_ThrowsPermanent(string? voice, string? language, string code)
    {
        var e = Assert.Throws<EngineException>(() => Catalog().Resolve(voice, language, "en"));
        Assert.Equal(code, e.Code);
        Assert.True(e.IsPermanent);
    }
}
