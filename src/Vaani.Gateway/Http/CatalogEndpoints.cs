using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vaani.Audio;
using Vaani.Gateway.Routing;

namespace Vaani.Gateway.Http;

/// <summary><c>GET /v1/voices</c> and <c>GET /v1/models</c>.</summary>
internal static class CatalogEndpoints
{
    public static void Map(WebApplication app, IEngineRouter router)
    {
        app.MapGet("/v1/voices", () => Results.Json(new
        {
            voices = router.Pools.Where(p => p.Capabilities.Voices.Count > 0)
                .SelectMany(p => p.Capabilities.Voices.Select(v => new { id = v.Id, name = v.Name, language = v.Language, gender = v.Gender, model = p.Name }))
                .ToArray(),
        }));
        // One response for both the native shape ("models") and OpenAI's list shape
        // ("object": "list", "data"), so the OpenAI SDK's models.list() works against it.
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = router.Pools.Select(p => new { id = p.Name, @object = "model", created = 0, owned_by = "vaani" }).ToArray(),
            models = router.Pools.Select(p => new
            {
                id = p.Name,
                kind = p.Capabilities.Voices.Count > 0 ? "tts" : "stt",
                engine = p.Capabilities.Name,
                languages = p.Capabilities.Languages,
                native_format = new { encoding = AudioFormat.EncodingName(p.Capabilities.NativeFormat.Encoding), sample_rate = p.Capabilities.NativeFormat.SampleRate, channels = p.Capabilities.NativeFormat.Channels },
                streaming = p.Capabilities.Streaming,
                word_timings = p.Capabilities.WordTimings,
                capacity = p.Capacity,
                serving = p.IsServing,
            }).ToArray(),
        }));
    }
}
