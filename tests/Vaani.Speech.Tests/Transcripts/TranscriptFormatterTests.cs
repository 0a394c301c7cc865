using System.Text.Json;
using Vaani.Engines;
using Vaani.Speech.Transcripts;

namespace Vaani.Speech.Tests.Transcripts;

public sealed class TranscriptFormatterTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    private static Transcript Sample()
    {
        var w1 = new[] { new WordTiming("go", S(0.5), S(0.7), 0.9), new WordTiming("forward", S(0.7), S(1.2), 0.8) };
        var w2 = new[] { new WordTiming("ten", S(3601.25), S(3601.5), 1.0) };
        return new Transcript([new SttFinal("go forward", w1, 0.85, S(0.4), S(1.3)), new SttFinal("", [], 0, S(2), S(3)), new SttFinal("ten", w2, 1.0, S(3601), S(3602))], S(3602), "en-US");
    }

    [Fact]
    public void Format_Text_JoinsNonEmptySegments()
    {
        Assert.Equal("go forward ten\n", TranscriptFormatter.Format(Sample(), TranscriptFormat.Text));
    }

    [Fact]
    public void Format_Json_CarriesWordsAndSecondTimes()
    {
        using var doc = JsonDocument.Parse(TranscriptFormatter.Format(Sample(), TranscriptFormat.Json));
        var root = doc.RootElement;
        Assert.Equal("go forward ten", root.GetProperty("text").GetString());
        var segments = root.GetProperty("segments");
        Assert.Equal(2, segments.GetArrayLength());
        var word = segments[0].GetProperty("words")[1];
        Assert.Equal("forward", word.GetProperty("word").GetString());
        Assert.Equal(0.7, word.GetProperty("start").GetDouble(), 3);
        Assert.Equal(1.2, word.GetProperty("end").GetDouble(), 3);
    }

    [Fact]
    public void Format_Srt_NumbersCuesWithCommaTimestamps()
    {
        var srt = TranscriptFormatter.Format(Sample(), TranscriptFormat.Srt);
        Assert.StartsWith("1\n00:00:00,500 --> 00:00:01,200\ngo forward\n\n2\n01:00:01,250 --> 01:00:01,500\nten\n", srt, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_Vtt_HasHeaderAndDotTimestamps()
    {
        var vtt = TranscriptFormatter.Format(Sample(), TranscriptFormat.Vtt);
        Assert.StartsWith("WEBVTT\n\n00:00:00.500 --> 00:00:01.200\ngo forward\n", vtt, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_LongSegment_SplitsCuesAtMaxDuration()
    {
        var words = Enumerable.Range(0, 20).Select(i => new WordTiming($"w{i}", S(i), S(i + 0.5), 1)).ToArray();
        var t = new Transcript([new SttFinal("x", words, 1, S(0), S(20))], S(20), "en-US");
        var cues = TranscriptFormatter.Format(t, TranscriptFormat.Srt).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.True(cues.Length >= 3, $"expected the 20 s segment split into several cues, got {cues.Length}");
    }

    [Theory]
    [InlineData("TEXT", TranscriptFormat.Text)]
    [InlineData("webvtt", TranscriptFormat.Vtt)]
    public void Parse_KnownNames_Accepted(string name, TranscriptFormat expected) =>
        Assert.Equal(expected, TranscriptFormatter.Parse(name));

    [Fact]
    public void Parse_Unknown_SaysWhatIsSupported()
    {
        var ex = Assert.Throws<ArgumentException>(() => TranscriptFormatter.Parse("docx"));
        Assert.Contains("text, json, srt or vtt", ex.Message, StringComparison.Ordinal);
    }
}
