using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vaani.Workers.Protocol;

/// <summary>
/// JSON encoding of control payloads (camelCase, enums as strings). Nulls are written, never
/// omitted: an omitted property would deserialize to its default, and a null option (e.g. no
/// endpointing) must not silently become a default value on the other side.
/// </summary>
internal static class WireJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    /// <summary>Deserializes a payload; malformed JSON is a protocol error naming the frame.</summary>
    public static T Deserialize<T>(ReadOnlyMemory<byte> payload, FrameType type)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(payload.Span, Options)
                ?? throw new ProtocolException("bad_payload", $"the {type} frame carried a null payload");
        }
        catch (JsonException ex)
        {
            throw new ProtocolException("bad_payload", $"the {type} frame's JSON payload is invalid: {ex.Message}", ex);
        }
    }
}
