namespace Vaani.Engines.Tests.TestData;

public sealed class WordErrorRateTests
{
    [Theory]
    [InlineData("a b c", "a b c", 0)]
    [InlineData("a b c", "a x c", 1)]
    [InlineData("a b c", "a c", 1)]
    [InlineData("a b c", "a b c d", 1)]
    [InlineData("he was not an ill disposed young man", "he was not an illness those young man", 2)]
    [InlineData("Mr. John", "mr john", 0)]
    public void Compute_KnownPairs_EditDistance(string reference, string hypothesis, int errors)
    {
        var result = WordErrorRate.Compute(reference, hypothesis);
        Assert.Equal(errors, result.Errors);
        Assert.Equal(WordErrorRate.Tokenize(reference).Length, result.ReferenceWords);
    }
}
