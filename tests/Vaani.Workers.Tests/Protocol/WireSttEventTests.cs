using Vaani.Engines;
using Vaani.Workers.Protocol;

namespace Vaani.Workers.Tests.Protocol;

public sealed class WireSttEventTests
{
    public static TheoryData<SttEvent> Events => new()
    {
        new SttSpeechStarted(TimeSpan.FromTicks(1234567)),
        new SttPartial("hello wor", TimeSpan.FromTicks(1), TimeSpan.FromTicks(9_999_999)),
        new SttUtteranceEnd(TimeSpan.FromTicks(42)),
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void ToEvent_SerializedEvent_RoundTripsExactly(SttEvent e)
    {
        var json = WireJson.Serialize(WireSttEvent.From(e));
        var back = WireJson.Deserialize<WireSttEvent>(json, FrameType.SttEvent).ToEvent();
        Assert.Equal(e, back);
    }

    [Fact]
    public void ToEvent_SerializedFinal_KeepsWordsTicksAndFlag()
    {
        var final = new SttFinal("a b", [new WordTiming("a", TimeSpan.FromTicks(3), TimeSpan.FromTicks(7), 0.5), new WordTiming("b", TimeSpan.FromTicks(7), TimeSpan.FromTicks(11), 0.25)],
            0.75, TimeSpan.FromTicks(1), TimeSpan.FromTicks(13)) { FromFinalize = true };

        var back = (SttFinal)WireJson.Deserialize<WireSttEvent>(WireJson.Serialize(WireSttEvent.From(final)), FrameType.SttEvent).ToEvent();

        Assert.Equal(final.Text, back.Text);
        Assert.Equal(final.Words, back.Words);
        Assert.Equal(final.Start, back.Start);
        Assert.Equal(final.End, back.End);
        Assert.Equal(0.75, back.Confidence);
        Assert.True(back.FromFinalize);
    }

    [Fact]
    public void Deserialize_MalformedJson_ThrowsBadPayload()
    {
        var ex = Assert.Throws<ProtocolException>(() => WireJson.Deserialize<WireSttEvent>("{\"kind\":"u8.ToArray(), FrameType.SttEvent));
        Assert.Equal("bad_payload", ex.Code);
    }
}
