using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
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

    /// <summary>The wire options with reflection only: what the generated code must match byte for byte.</summary>
    private static readonly JsonSerializerOptions Reflection = WireJson.Create(new DefaultJsonTypeInfoResolver());

    public static TheoryData<object> Payloads => new()
    {
        WireSttEvent.From(new SttPartial("नमस्ते \"quoted\" \u0001", TimeSpan.FromTicks(1), TimeSpan.FromTicks(long.MaxValue / 2))),
        WireSttEvent.From(new SttFinal("a b", [new WordTiming("a", TimeSpan.FromTicks(3), TimeSpan.FromTicks(7), 0.5)], 0.125, TimeSpan.Zero, TimeSpan.FromTicks(13)) { FromFinalize = true }),
        WireSttEvent.From(new SttUtteranceEnd(TimeSpan.FromTicks(42))),
        new TtsWord("ज़रूर", TimeSpan.FromMilliseconds(12.5), TimeSpan.FromSeconds(3), 4, 5),
        new CapacityMessage(3, 8),
        new ErrorMessage("engine_failed", "the decoder said \"no\"", Permanent: false),
    };

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Serialize_FrequentPayloads_GeneratedCodeWritesWhatReflectionWrites(object payload)
    {
        var type = payload.GetType();
        // The generated metadata is what the wire options use for these types, not a reflection fallback.
        Assert.Same(WireJsonContext.Default, WireJson.Options.GetTypeInfo(type).OriginatingResolver);

        var generated = JsonSerializer.SerializeToUtf8Bytes(payload, type, WireJson.Options);
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(payload, type, Reflection), generated);

        // And reads back what reflection reads back (records compare by value; words by sequence).
        var back = JsonSerializer.Deserialize(generated, type, WireJson.Options)!;
        var expected = JsonSerializer.Deserialize(generated, type, Reflection)!;
        Assert.Equal(JsonSerializer.Serialize(expected, type, Reflection), JsonSerializer.Serialize(back, type, Reflection));
    }

    [Fact]
    public void Deserialize_EventWithoutKind_ThrowsBadPayload()
    {
        var ex = Assert.Throws<ProtocolException>(() => WireJson.Deserialize<WireSttEvent>("{\"text\":\"a\"}"u8.ToArray(), FrameType.SttEvent).ToEvent());
        Assert.Equal("bad_payload", ex.Code);
        Assert.Contains("kind", ex.Message);
    }
}
