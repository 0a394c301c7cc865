using System.Text;
using System.Text.Json;
using Vaani.Engines;
using Vaani.Gateway.Realtime;
using Vaani.Gateway.Stt;

namespace Vaani.Gateway.Tests.Stt;

public sealed class NativeSttMessagesTests
{
    public static TheoryData<string, double, double> Partials => new()
    {
        { "go forward", 0, 0.5 },
        { "नमस्ते दुनिया", 1.234567, 2.5 },          // non-ASCII: escaped the same way
        { "say \"hi\" <b> & 'bye'\n\t\\", 0.02, 0.04 }, // quotes, HTML-sensitive and control characters
        { "", 12345.678, 12345.679 },
    };

    [Theory]
    [MemberData(nameof(Partials))]
    public void Utf8_Partial_IsWhatTheGeneralSerialiserWrites(string text, double start, double end)
    {
        var partial = new SttPartial(text, TimeSpan.FromSeconds(start), TimeSpan.FromSeconds(end));

        var generated = NativeSttMessages.Utf8(partial, words: true);
        var general = JsonSerializer.SerializeToUtf8Bytes(NativeSttMessages.From(partial, words: true), GatewayJson.Options);

        Assert.Equal(Encoding.UTF8.GetString(general), Encoding.UTF8.GetString(generated!));
        using var doc = JsonDocument.Parse(generated);
        Assert.Equal("transcript.partial", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal(text, doc.RootElement.GetProperty("text").GetString());
        Assert.Equal(["type", "text", "start", "end"], doc.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Utf8_OtherEvents_GoThroughTheGeneralSerialiser()
    {
        var final = new SttFinal("go forward", [new WordTiming("go", TimeSpan.Zero, TimeSpan.FromSeconds(0.3), 0.91234)], 0.9, TimeSpan.Zero, TimeSpan.FromSeconds(0.3));

        using var doc = JsonDocument.Parse(NativeSttMessages.Utf8(final, words: true));

        Assert.Equal("transcript.final", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal(0.9123, doc.RootElement.GetProperty("words")[0].GetProperty("confidence").GetDouble());
    }
}
