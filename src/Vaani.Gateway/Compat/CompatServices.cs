using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Vaani.Gateway.Compat.Deepgram;
using Vaani.Gateway.Compat.OpenAI;

namespace Vaani.Gateway.Compat;

/// <summary>Registers the compatible APIs' services (one call from the gateway's composition root).</summary>
public static class CompatServices
{
    public static IServiceCollection AddCompatApis(this IServiceCollection services, CompatOptions options)
    {
        services.AddSingleton(options);
        services.TryAddSingleton<ICompatModelMap, CompatModelMap>();
        services.AddSingleton<RemoteHttp>();
        services.AddSingleton<DeepgramCallbacks>();
        services.AddSingleton<DeepgramListenSocket>();
        services.AddSingleton<DeepgramListenHttp>();
        services.AddSingleton<DeepgramSpeakHttp>();
        services.AddSingleton<DeepgramSpeakSocket>();
        services.AddSingleton<OpenAiTranscriptions>();
        services.AddSingleton<OpenAiSpeech>();
        return services;
    }
}
