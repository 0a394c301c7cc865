namespace Vaani.Workers.Protocol;

/// <summary>
/// One protocol frame: a type, the channel (session or request id; 0 = connection) and a payload
/// the frame owns. Wire layout: u32 payload length (little-endian), u8 type, u32 channel
/// (little-endian), payload.
/// </summary>
public readonly record struct Frame(FrameType Type, uint Channel, ReadOnlyMemory<byte> Payload)
{
    /// <summary>Bytes before the payload: length (4), type (1), channel (4).</summary>
    public const int HeaderSize = 9;

    /// <summary>Largest payload accepted or sent (1 MiB); a larger declared length is a protocol error.</summary>
    public const int MaxPayloadSize = 1 << 20;

    /// <summary>A frame without payload.</summary>
    public static Frame Empty(FrameType type, uint channel) => new(type, channel, ReadOnlyMemory<byte>.Empty);
}

/// <summary>Builders and parsers for the fixed-layout payloads (credit, ping/pong) and JSON payloads.</summary>
internal static class Frames
{
    public static Frame Json<T>(FrameType type, uint channel, T value) => new(type, channel, WireJson.Serialize(value));

    public static Frame Credit(uint channel, uint bytes)
    {
        var payload = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(payload, bytes);
        return new Frame(FrameType.Credit, channel, payload);
    }

    public static uint ReadCredit(Frame frame) => frame.Payload.Length == 4
        ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(frame.Payload.Span)
        : throw new ProtocolException("bad_payload", $"a Credit frame must carry 4 bytes, not {frame.Payload.Length}");

    public static Frame Error(uint channel, Exception ex) => Json(FrameType.Error, channel, ErrorMessage.From(ex));
}
