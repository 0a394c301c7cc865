using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vaani.Engines;
using Vaani.Gateway.Hosting;
using Vaani.Gateway.Routing;

namespace Vaani.Gateway.Tests;

public class GatewayAppLoggingTests
{
    /// <summary>
    /// ASP.NET Core starts an Activity and a log scope for every request whenever its hosting logger
    /// is enabled at any level; a streaming session would carry both for its whole life. The gateway
    /// turns that logger off, whatever logging the host configures.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Build_HostingRequestLoggerIsOff(bool verboseLogging)
    {
        var router = new StaticEngineRouter(Array.Empty<EnginePool<ISpeechToTextEngine>>(), Array.Empty<EnginePool<ITextToSpeechEngine>>());
        await using var app = GatewayApp.Build(new GatewayOptions(), router, verboseLogging ? l => l.AddSimpleConsole().SetMinimumLevel(LogLevel.Trace) : null);
        var factory = app.Services.GetRequiredService<ILoggerFactory>();
        Assert.False(factory.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Critical));
        // Only that category: the gateway's own warnings still reach the console.
        Assert.True(factory.CreateLogger("Vaani.Gateway").IsEnabled(LogLevel.Warning));
    }
}
