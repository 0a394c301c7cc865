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

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vaani.slnx"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("the repository root (Vaani.slnx) was not found");
        }
    }

    public const string GoForwardRaw = "/usr/share/pocketsphinx/test/data/goforward.raw";

    public async Task InitializeAsync()
    {
        var psi = new ProcessStartInfo(Path.Combine(RepoRoot, "vaani")) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = RepoRoot };
        foreach (var a in (string[])["serve", "--port", "0"]) psi.ArgumentList.Add(a);
        psi.Environment["VAANI_FETCH_ALLOW"] = "127.0.0.0/8";
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

    public async Task DisposeAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"listening on (http://[^\s,]+)")]
    private static partial Regex Listening();
}

[CollectionDefinition(Name)]
public sealed class VaaniServerCollection : ICollectionFixture<VaaniServer>
{
    public const string Name = "vaani serve";
}
