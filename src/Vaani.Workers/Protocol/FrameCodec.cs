using System.Buffers.Binary;

namespace Vaani.Workers.Protocol;

/// <summary>
/// The frame format: header encoding and checks, and writing single frames on a stream. Reading is
/// <see cref="FrameReader"/>'s (bulk reads, many frames per read).
/// </summary>
public static class FrameCodec
{
    /// <summary>Which of the 256 type bytes are a <see cref="FrameType"/>: one load per header, where <c>Enum.IsDefined</c> searches the enum's values.</summary>
    private static readonly bool[] s_knownTypes = KnownTypes();

    private static bool[] KnownTypes()
    {
        var known = new bool[256];
        foreach (var type in Enum.GetValues<FrameType>()) known[(byte)type] = true;
        return known;
    }

    /// <summary>
    /// Decodes and checks a frame header (<see cref="Frame.HeaderSize"/> bytes): a declared payload
    /// over <paramref name="maxPayloadSize"/> or an unknown type is a <see cref="ProtocolException"/>.
    /// </summary>
    public static (FrameType Type, uint Channel, int PayloadLength) ReadHeader(ReadOnlySpan<byte> header, int maxPayloadSize = Frame.MaxPayloadSize)
    {
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        var type = (FrameType)header[4];
        var channel = BinaryPrimitives.ReadUInt32LittleEndian(header[5..]);
        if (length > (uint)maxPayloadSize)
            throw new ProtocolException("frame_too_large", $"a {type} frame declared a payload of {length} bytes; the limit is {maxPayloadSize} bytes");
        if (!s_knownTypes[(byte)type])
            throw new ProtocolException("unknown_frame_type", $"unknown frame type 0x{(byte)type:x2}");
        return (type, channel, (int)length);
    }

    internal static ProtocolException TruncatedHeader(int got) =>
        new("truncated_frame", $"the stream ended inside a frame header ({got} of {Frame.HeaderSize} bytes)");

    internal static ProtocolException TruncatedPayload(FrameType type, int got, int length) =>
        new("truncated_frame", $"the stream ended inside a {type} frame ({got} of {length} payload bytes)");

    /// <summary>Writes a frame (without flushing). Rejects payloads over <see cref="Frame.MaxPayloadSize"/>.</summary>
    public static async ValueTask WriteAsync(Stream stream, Frame frame, CancellationToken cancellationToken)
    {
        if (frame.Payload.Length > Frame.MaxPayloadSize)
            throw new ProtocolException("frame_too_large", $"refusing to send a {frame.Type} frame of {frame.Payload.Length} bytes; the limit is {Frame.MaxPayloadSize} bytes");
        var header = new byte[Frame.HeaderSize];
        WriteHeader(header, frame.Type, frame.Channel, frame.Payload.Length);
        await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        if (!frame.Payload.IsEmpty)
            await stream.WriteAsync(frame.Payload, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Encodes a frame header into <paramref name="destination"/> (at least <see cref="Frame.HeaderSize"/> bytes).</summary>
    public static void WriteHeader(Span<byte> destination, FrameType type, uint channel, int payloadLength)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)payloadLength);
        destination[4] = (byte)type;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[5..], channel);
    }
}
