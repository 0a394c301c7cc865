using System.Diagnostics;
using System.Text.RegularExpressions;
using Vaani.Engines.Passthrough;

namespace Vaani.Bench.Gateway;

/// <summary>
/// <c>vaani serve</c> as a child process (the built CLI, <c>artifacts/cli/vaani.dll</c>): the gateway
/// in that process, its stt-en, tts and stt-passthrough workers in theirs. Only the gateway's own
/// process is measured. The passthrough engine answers every <see cref="StreamLoad.ResponseEveryFrames"/>-th
/// frame, like the echo backend.
/// </summary>
internal sealed partial class GatewayNode : IAsyncDisposable
{
    private readonly ServerProcess _server;

    private GatewayNode(ServerProcess server, Uri baseUri)
    {
        _server = server;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    /// <summary>The gateway process (workers are its children and are not counted).</summary>
    public int Pid => _server.Pid;

    public static async Task<GatewayNode> StartAsync(int sttDecoders, CancellationToken cancellationToken)
    {
        var root = RepositoryRoot();
        // ./vaani builds artifacts/cli when a source file changed, then runs it.
        var build = Process.Start(new ProcessStartInfo(Path.Combine(root, "vaani"), "--version") { UseShellExecute = false, RedirectStandardOutput = true })!;
        await build.StandardOutput.ReadToEndAsync(cancellationToken);
        await build.WaitForExitAsync(cancellationToken);
        if (build.ExitCode != 0) throw new InvalidOperationException($"./vaani --version failed with code {build.ExitCode} (see artifacts/cli/build.log)");
        var dll = Path.Combine(root, "artifacts", "cli", "vaani.dll");
        var server = await ServerProcess.StartAsync("vaani serve", "dotnet",
            [dll, "serve", "--no-auth", "--host", "127.0.0.1", "--port", "0", "--pools", "stt-passthrough",
             "--stt-workers", "1", "--decoders", sttDecoders.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--tts-workers", "1", "--drain-grace", "1"],
            new Dictionary<string, string>
            {
                [PassthroughSttEngine.PartialEveryVariable] = StreamLoad.ResponseEveryBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["VAANI_HOME"] = root,
            },
            ListeningLine(), Signals.SigTerm, cancellationToken);
        return new GatewayNode(server, new Uri(server.ReadyMatch.Groups["url"].Value));
    }

    private static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Vaani.slnx")) && File.Exists(Path.Combine(dir.FullName, "vaani")))
                    return dir.FullName;
            }
        }
        throw new InvalidOperationException("run the benchmark from inside the repository (Vaani.slnx and ./vaani not found)");
    }

    /// <summary>The stt-passthrough worker process (a child of the gateway).</summary>
    public int PassthroughWorkerPid() => WorkerPid("stt-passthrough");

    /// <summary>The worker process of <paramref name="pool"/> (a child of the gateway).</summary>
    public int WorkerPid(string pool) =>
        ProcStat.Children(Pid).FirstOrDefault(p => ProcStat.CommandLine(p).Contains($"--pool {pool}", StringComparison.Ordinal)) is var pid and > 0
            ? pid : throw new InvalidOperationException($"the gateway has no {pool} worker process");

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [GeneratedRegex(@"listening on (?<url>http://[\d.]+:\d+)")]
    private static partial Regex ListeningLine();
}
