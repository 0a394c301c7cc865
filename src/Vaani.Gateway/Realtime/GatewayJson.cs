using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vaani.Gateway.Realtime;

/// <summary>JSON conventions of the native API: snake_case names, nulls omitted.</summary>
public static class GatewayJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
