using System.Text.RegularExpressions;

namespace Vaani.Bench.Gateway;

/// <summary>The <see cref="EchoBackend"/> in its own process: this benchmark's executable run as <c>gateway --backend</c>.</summary>
internal sealed partial class BackendProcess : IAsyncDisposable
{
    private readonly ServerProcess _server;

    private BackendProcess(ServerProcess server) => _server = server;

    public Uri BaseUri => new(_server.ReadyMatch.Groups["url"].Value);

    public int Pid => _server.Pid;

    public static async Task<BackendProcess> StartAsync(CancellationToken cancellationToken)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("the benchmark's executable path is unknown");
        // Under `dotnet run` the process is the apphost; under `dotnet Vaani.Bench.dll` it is dotnet itself.
        IEnumerable<string> args = Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? [typeof(BackendProcess).Assembly.Location, "gateway", "--backend"]
            : ["gateway", "--backend"];
        var server = await ServerProcess.StartAsync("echo backend", self, args, null, ListeningLine(), Signals.SigTerm, cancellationToken);
        return new BackendProcess(server);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [GeneratedRegex(@"listening on (?<url>http://[\d.]+:\d+)")]
    private static partial Regex ListeningLine();
}
