using Vaani.Testing;
using System.Diagnostics;

namespace Vaani.Cli.Tests;

/// <summary>Runs the real <c>./vaani</c> launcher (which builds the CLI on first use) and captures its output.</summary>
internal static class CliProcess
{
    public static string Root => RepoPaths.Root;

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(params string[] args) => await RunAsync(null, args);

    public static async Task<Result> RunAsync(byte[]? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(Root, "vaani"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) await p.StandardInput.BaseStream.WriteAsync(stdin);
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(cts.Token);
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    public static string Temp(string name) => Path.Combine(TempDir.Value, name);

    private static readonly Lazy<string> TempDir = new(() => Directory.CreateTempSubdirectory("vaani-cli-tests-").FullName);


    /// <summary>Runs a reference tool (sox, soxi, ffprobe) and returns stdout; throws on failure.</summary>
    public static string Tool(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {err.Result}");
        return output;
    }
}
