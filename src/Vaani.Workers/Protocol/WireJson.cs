using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Vaani.Engines;

namespace Vaani.Workers.Protocol;

/// <summary>
/// JSON encoding of control payloads (camelCase, enums as strings). Nulls are written, never
/// omitted: an omitted property would deserialize to its default, and a null option (e.g. no
/// endpointing) must not silently become a default value on the other side. The payloads sent
/// many times a second (STT events, TTS words, capacity reports) and errors are read and written
/// by source-generated code (<see cref="WireJsonContext"/>), the rest by reflection; the bytes are
/// the same either way.
/// </summary>
internal static class WireJson
{
    public static readonly JsonSerializerOptions Options = Create(JsonTypeInfoResolver.Combine(WireJsonContext.Default, new DefaultJsonTypeInfoResolver()));

    /// <summary>The wire options over <paramref name="resolver"/>; tests compare the generated code with reflection through it.</summary>
    internal static JsonSerializerOptions Create(IJsonTypeInfoResolver resolver)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
            TypeInfoResolver = resolver,
        };
        options.MakeReadOnly();
        return options;
    }

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

/// <summary>
/// Generated metadata for the frequent wire payloads. Used through <see cref="WireJson.Options"/>,
/// whose naming and null rules apply to it as to reflection.
/// </summary>
[JsonSerializable(typeof(WireSttEvent))]
[JsonSerializable(typeof(TtsWord))]
[JsonSerializable(typeof(CapacityMessage))]
[JsonSerializable(typeof(ErrorMessage))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
