using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Vaani.Gateway.Compat.Deepgram;

/// <summary>The Deepgram-compatible routes: <c>/v1/listen</c> and <c>/v1/speak</c>, WebSocket (GET) and REST (POST). See docs/compat-deepgram.md.</summary>
public static class DeepgramEndpoints
{
    public static void Map(WebApplication app)
    {
        var s = app.Services;
        app.MapGet("/v1/listen", (HttpContext ctx) => s.GetRequiredService<DeepgramListenSocket>().HandleAsync(ctx));
        app.MapPost("/v1/listen", (HttpContext ctx) => s.GetRequiredService<DeepgramListenHttp>().HandleAsync(ctx));
        app.MapGet("/v1/speak", (HttpContext ctx) => s.GetRequiredService<DeepgramSpeakSocket>().HandleAsync(ctx));
        app.MapPost("/v1/speak", (HttpContext ctx) => s.GetRequiredService<DeepgramSpeakHttp>().HandleAsync(ctx));
    }
}
