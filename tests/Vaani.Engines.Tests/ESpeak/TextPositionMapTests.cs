using Vaani.Engines.ESpeak;

namespace Vaani.Engines.Tests.ESpeak;

public sealed class TextPositionMapTests
{
    [Fact]
    public void TryMap_Devanagari_CountsCodePoints()
    {
        // eSpeak's events for this text: (1, 6) and (8, 6).
        const string text = "नमस्ते दुनिया";
        var map = new TextPositionMap(text, ssml: false);
        Assert.True(map.TryMap(8, 6, out var offset, out var length));
        Assert.Equal("दुनिया", text.Substring(offset, length));
    }

    [Fact]
    public void TryMap_AfterSurrogatePair_ShiftsUtf16Offset()
    {
        const string text = "😀 b";
        var map = new TextPositionMap(text, ssml: false);
        Assert.True(map.TryMap(3, 1, out var offset, out var length));
        Assert.Equal((3, 1), (offset, length));
        Assert.True(map.TryMap(1, 1, out offset, out length));
        Assert.Equal((0, 2), (offset, length));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(-3, 2)]
    [InlineData(99, 1)]
    public void TryMap_OutsideText_ReturnsFalse(int position, int length) =>
        Assert.False(new TextPositionMap("abc", ssml: false).TryMap(position, length, out _, out _));

    [Fact]
    public void TryMap_WhitespaceOnly_ReturnsFalse() =>
        Assert.False(new TextPositionMap("a   b", ssml: false).TryMap(2, 2, out _, out _));

    [Theory]
    [InlineData("Smith's, hi", 1, 5, "Smith's")]
    [InlineData("e-mail it", 1, 1, "e-mail")]
    [InlineData("(quoted) x", 2, 6, "quoted")]
    [InlineData("है। फिर", 1, 2, "है")]
    [InlineData("word", 1, 99, "word")]
    public void TryMap_PartOfToken_SpansTheTokenWithoutTrailingPunctuation(string text, int position, int length, string expected)
    {
        Assert.True(new TextPositionMap(text, ssml: false).TryMap(position, length, out var offset, out var utf16Length));
        Assert.Equal(expected, text.Substring(offset, utf16Length));
    }

    [Fact]
    public void TryMap_SsmlEntity_CountsAsOneCharacter()
    {
        // eSpeak reports "caf&#233;" as position 8, length 4 (c, a, f, é).
        const string ssml = "<speak>caf&#233;, au <break/>lait&amp;</speak>";
        var map = new TextPositionMap(ssml, ssml: true);
        Assert.True(map.TryMap(8, 4, out var offset, out var length));
        Assert.Equal("caf&#233;", ssml.Substring(offset, length));
        Assert.True(map.TryMap(19, 2, out offset, out length));
        Assert.Equal("au", ssml.Substring(offset, length));
        Assert.True(map.TryMap(30, 4, out offset, out length));
        Assert.Equal("lait&amp;", ssml.Substring(offset, length));
    }
}
