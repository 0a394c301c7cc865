using Vaani.Engines;
using Vaani.Workers.Protocol;

namespace Vaani.Workers.Tests.Protocol;

public sealed class StartMessageTests
{
    [Fact]
    public void StartStt_NullEndpointing_StaysNullAcrossTheWire()
    {
        var sent = new StartSttMessage(new SttSessionOptions { Language = "en-US", Endpointing = null, InterimResults = false });
        var received = WireJson.Deserialize<StartSttMessage>(WireJson.Serialize(sent), FrameType.StartStt);
        Assert.Null(received.Options.Endpointing);
        Assert.False(received.Options.InterimResults);
    }

    [Fact]
    public void StartStt_CustomEndpointing_RoundTrips()
    {
        var sent = new StartSttMessage(new SttSessionOptions { Endpointing = TimeSpan.FromMilliseconds(1234) });
        var received = WireJson.Deserialize<StartSttMessage>(WireJson.Serialize(sent), FrameType.StartStt);
        Assert.Equal(TimeSpan.FromMilliseconds(1234), received.Options.Endpointing);
    }
}
