using System.Globalization;
using System.Text.RegularExpressions;

namespace Vaani.Bench.Gateway;

/// <summary>
/// This benchmark's executable run again as a server of its own: the <see cref="EchoBackend"/>
/// (<c>gateway --backend</c>), the <see cref="BareRelay"/> (<c>gateway --bare-relay PORT</c>), the
/// <see cref="WebSocketRelay"/> (<c>gateway --ws-relay PORT</c>) or the <see cref="KestrelRelay"/>
/// (<c>gateway --kestrel-relay PORT</c>).
/// Each runs in its own process so its CPU is measured apart and it never shares a thread pool with
/// the load generator.
/// </summary>
internal sealed partial class BenchChild : IAsyncDisposable
{
    private readonly ServerProcess _server;

    private BenchChild(ServerProcess server) => _server = server;

    public Uri BaseUri => new(_server.ReadyMatch.Groups["url"].Value);

    public int Pid => _server.Pid;

    public static Task<BenchChild> StartEchoBackendAsync(CancellationToken cancellationToken) =>
        StartAsync("echo backend", ["gateway", "--backend"], cancellationToken);

    public static Task<BenchChild> StartBareRelayAsync(Uri backend, CancellationToken cancellationToken) =>
        StartAsync("bare relay", ["gateway", "--bare-relay", backend.Port.ToString(CultureInfo.InvariantCulture)], cancellationToken);

    public static Task<BenchChild> StartWebSocketRelayAsync(Uri backend, CancellationToken cancellationToken) =>
        StartAsync("WebSocket relay", ["gateway", "--ws-relay", backend.Port.ToString(CultureInfo.InvariantCulture)], cancellationToken);

    public static Task<BenchChild> StartKestrelRelayAsync(Uri backend, CancellationToken cancellationToken) =>
        StartAsync("Kestrel relay", ["gateway", "--kestrel-relay", backend.Port.ToString(CultureInfo.InvariantCulture)], cancellationToken, KestrelRelay.Environment);

    private static async Task<BenchChild> StartAsync(string name, string[] mode, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("the benchmark's executable path is unknown");
        // Under `dotnet run` the process is the apphost; under `dotnet Vaani.Bench.dll` it is dotnet itself.
        IEnumerable<string> args = Path.GetFileNameWithoutExtension(self) == "dotnet" ? [typeof(BenchChild).Assembly.Location, .. mode] : mode;
        var server = await ServerProcess.StartAsync(name, self, args, environment, ListeningLine(), Signals.SigTerm, cancellationToken);
        return new BenchChild(server);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    /// <summary>In the child: announces <paramref name="url"/> on the line the parent waits for.</summary>
    public static void AnnounceListening(string url)
    {
        Console.Out.WriteLine("listening on " + url);
        Console.Out.Flush();
    }

    /// <summary>In the child: ends the process when its standard input closes (the benchmark that started it is gone).</summary>
    public static void ExitWhenStdinCloses() =>
        new Thread(() =>
        {
            Console.In.ReadToEnd();
            Environment.Exit(0);
        }) { IsBackground = true, Name = "stdin watch" }.Start();

    /// <summary>In the child: starts <paramref name="app"/>, announces it, and serves until standard input closes.</summary>
    public static async Task<int> ServeAsync(Microsoft.AspNetCore.Builder.WebApplication app, CancellationToken cancellationToken)
    {
        await app.StartAsync(cancellationToken);
        AnnounceListening(app.Urls.First());
        try { await Console.In.ReadToEndAsync(cancellationToken); }
        catch (OperationCanceledException) { }
        await app.StopAsync(CancellationToken.None);
        return 0;
    }

    [GeneratedRegex(@"listening on (?<url>http://[\d.]+:\d+)")]
    private static partial Regex ListeningLine();
}
