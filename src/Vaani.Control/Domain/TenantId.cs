using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Vaani.Control.Domain;

/// <summary>
/// Identifier of a tenant: 1–64 characters of lower-case letters, digits and '-', starting with a
/// letter or digit (safe in URLs, file names and log lines without escaping).
/// </summary>
[JsonConverter(typeof(TenantIdJsonConverter))]
public readonly partial record struct TenantId
{
    /// <summary>The tenant every installation starts with; its admin keys are root keys.</summary>
    public static readonly TenantId Default = new("default");

    public TenantId(string value)
    {
        if (!IsValid(value))
        {
            throw new ControlException(ControlErrorCode.InvalidRequest,
                $"Tenant id '{value}' is invalid: use 1-64 characters of a-z, 0-9 and '-', starting with a letter or digit.");
        }

        Value = value;
    }

    public string Value { get; }

    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);

    public override string ToString() => Value;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex Pattern();
}

internal sealed class TenantIdJsonConverter : JsonConverter<TenantId>
{
    public override TenantId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => new(reader.GetString() ?? string.Empty);

    public override void Write(Utf8JsonWriter writer, TenantId value, JsonSerializerOptions options)
        => writer.WriteStringValue(value.Value);

    public override TenantId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => new(reader.GetString() ?? string.Empty);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, TenantId value, JsonSerializerOptions options)
        => writer.WritePropertyName(value.Value);
}
