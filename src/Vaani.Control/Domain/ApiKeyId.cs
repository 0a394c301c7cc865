using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Vaani.Control.Domain;

/// <summary>
/// The non-secret identifier of an API key, <c>vk_</c> followed by 16 lower-case hex digits
/// (e.g. <c>vk_3f9a0c1d2e4b5a69</c>). It is embedded in the secret so a key can be looked up
/// without scanning, and it is safe to log.
/// </summary>
[JsonConverter(typeof(ApiKeyIdJsonConverter))]
public readonly partial record struct ApiKeyId
{
    public ApiKeyId(string value)
    {
        if (!IsValid(value))
        {
            throw new ControlException(ControlErrorCode.InvalidRequest,
                $"API key id '{value}' is invalid: expected 'vk_' followed by 16 hex digits.");
        }

        Value = value;
    }

    public string Value { get; }

    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);

    /// <summary>A new random id (64 random bits).</summary>
    public static ApiKeyId New() => new("vk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));

    public override string ToString() => Value;

    [GeneratedRegex("^vk_[0-9a-f]{16}$")]
    private static partial Regex Pattern();
}

internal sealed class ApiKeyIdJsonConverter : JsonConverter<ApiKeyId>
{
    public override ApiKeyId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => new(reader.GetString() ?? string.Empty);

    public override void Write(Utf8JsonWriter writer, ApiKeyId value, JsonSerializerOptions options)
        => writer.WriteStringValue(value.Value);

    public override ApiKeyId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => new(reader.GetString() ?? string.Empty);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, ApiKeyId value, JsonSerializerOptions options)
        => writer.WritePropertyName(value.Value);
}
