using Vaani.Testing;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Vaani.Compat.Tests.Infrastructure;

/// <summary>
/// A live <c>./vaani serve --port 0</c> (gateway plus real PocketSphinx and eSpeak NG worker
/// processes), shared by the tests of one collection. The URL is parsed from stderr.
/// </summary>
public sealed partial class VaaniServer : IAsyncLifetime
{
    private Process? _process;

    public Uri Url { get; private set; } = null!;
    public Uri WsUrl => new UriBuilder(Url) { Scheme = "ws" }.Uri;

    /// <summary>The root API key the server was started with (authentication is on, as in production).</summary>
    public string Key { get; private set; } = null!;

    /// <summary>An HttpClient that authenticates with <see cref="Key"/>.</summary>
    public HttpClient CreateHttpClient()
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Token {Key}");
        return http;
    }

    private string? _dataDir;

    public static string RepoRoot => RepoPaths.Root;

    public const string GoForwardRaw = "/usr/share/pocketsphinx/test/data/goforward.raw";

    public async Task InitializeAsync()
    {
        Key = await GenerateKeyAsync();
        _dataDir = Directory.CreateTempSubdirectory("vaani-compat-data-").FullName;
        var psi = new ProcessStartInfo(Path.Combine(RepoRoot, "vaani")) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = RepoRoot };
        foreach (var a in (string[])["serve", "--port", "0", "--control-port", "0", "--data-dir", _dataDir]) psi.ArgumentList.Add(a);
        psi.Environment["VAANI_FETCH_ALLOW"] = "127.0.0.0/8";
        psi.Environment["VAANI_API_KEY"] = Key;
        _process = Process.Start(psi)!;
        _ = _process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var log = new System.Text.StringBuilder();
        while (true)
        {
            var line = await _process.StandardError.ReadLineAsync(cts.Token) ?? throw new InvalidOperationException($"vaani serve exited:\n{log}");
            log.AppendLine(line);
            var m = Listening().Match(line);
            if (m.Success)
            {
                Url = new Uri(m.Groups[1].Value);
                break;
            }
        }
        // Keep draining stderr so the server never blocks on a full pipe.
        _ = _process.StandardError.BaseStream.CopyToAsync(Stream.Null);
    }

    /// <summary>The <c>vaani serve</c> process itself (the launcher script execs dotnet), once started.</summary>
    public int ServePid => new[] { _process!.Id }.Concat(Descendants(_process.Id)).First(pid => CommandLine(pid).Contains(" serve ", StringComparison.Ordinal));

    /// <summary>Process ids below <paramref name="pid"/>, depth first.</summary>
    public static IEnumerable<int> Descendants(int pid)
    {
        // Each thread lists the children it started itself.
        var children = Directory.Exists($"/proc/{pid}/task")
            ? Directory.GetDirectories($"/proc/{pid}/task")
                .SelectMany(task => File.Exists(Path.Combine(task, "children")) ? File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries) : [])
                .Select(int.Parse).ToList()
            : [];
        foreach (var child in children)
        {
            yield return child;
            foreach (var grandchild in Descendants(child)) yield return grandchild;
        }
    }

    /// <summary>A process's command line with spaces between its arguments.</summary>
    public static string CommandLine(int pid) => File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');

    public async Task DisposeAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        if (_dataDir is not null) Directory.Delete(_dataDir, recursive: true);
    }

    private static async Task<string> GenerateKeyAsync()
    {
        var psi = new ProcessStartInfo(Path.Combine(RepoRoot, "vaani"), "admin keys generate") { RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = RepoRoot };
        using var p = Process.Start(psi)!;
        var key = (await p.StandardOutput.ReadToEndAsync()).Trim();
        await p.WaitForExitAsync();
        return p.ExitCode == 0 && key.Length > 0 ? key : throw new InvalidOperationException("./vaani admin keys generate failed");
    }

    [GeneratedRegex(@"listening on (http://[^\s,]+)")]
    private static partial Regex Listening();
}

[CollectionDefinition(Name)]
public sealed class VaaniServerCollection : ICollectionFixture<VaaniServer>
{
    public const string Name = "vaani serve";
}
