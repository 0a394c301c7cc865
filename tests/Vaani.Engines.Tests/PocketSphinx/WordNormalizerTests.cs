using Vaani.Engines.PocketSphinx;

namespace Vaani.Engines.Tests.PocketSphinx;

public sealed class WordNormalizerTests
{
    [Theory]
    [InlineData("<s>")]
    [InlineData("</s>")]
    [InlineData("<sil>")]
    [InlineData("[NOISE]")]
    [InlineData("[SPEECH]")]
    [InlineData("++BREATH++")]
    [InlineData("+um+")]
    [InlineData("")]
    public void Normalize_FillerOrSilenceToken_Null(string token) => Assert.Null(WordNormalizer.Normalize(token));

    [Theory]
    [InlineData("forward", "forward")]
    [InlineData("read(2)", "read")]
    [InlineData("the(12)", "the")]
    [InlineData("don't", "don't")]
    [InlineData("a(b)", "a(b)")]
    public void Normalize_Word_BaseWord(string token, string expected) => Assert.Equal(expected, WordNormalizer.Normalize(token));

    [Fact]
    public void NormalizeText_MixedHypothesis_OnlyBaseWords() =>
        Assert.Equal("go forward ten", WordNormalizer.NormalizeText("<s> go <sil> forward(2) [NOISE] ten </s>"));
}
