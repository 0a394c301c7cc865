using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Vaani.Gateway.Compat.OpenAI;

/// <summary>
/// The OpenAI-compatible routes: <c>POST /v1/audio/transcriptions</c> and <c>POST /v1/audio/speech</c>.
/// <c>GET /v1/models</c> is shared with the native API (one response in both shapes). See docs/compat-openai.md.
/// </summary>
public static class OpenAiEndpoints
{
    public static void Map(WebApplication app)
    {
        var s = app.Services;
        app.MapPost("/v1/audio/transcriptions", (HttpContext ctx) => s.GetRequiredService<OpenAiTranscriptions>().HandleAsync(ctx));
        app.MapPost("/v1/audio/speech", (HttpContext ctx) => s.GetRequiredService<OpenAiSpeech>().HandleAsync(ctx));
    }
}
