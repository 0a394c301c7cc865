using System.Diagnostics;

namespace Vaani.Testing;

/// <summary>Locates the repository and the built CLI (every role runs as <c>dotnet vaani.dll …</c>), and the test speech.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vaani.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Vaani.slnx) above " + AppContext.BaseDirectory);
    });

    private static readonly Lazy<string> CliLazy = new(() =>
    {
        // ./vaani builds the CLI incrementally (under a lock) and prints its version.
        var psi = new ProcessStartInfo(Path.Combine(Root, "vaani"), "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)) || p.ExitCode != 0)
            throw new InvalidOperationException($"./vaani --version failed: {stderr.Result}");
        var dll = Path.Combine(Root, "artifacts", "cli", "vaani.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} was not built");
    });

    public static string Root => RootLazy.Value;
    public static string VaaniDll => CliLazy.Value;
    public const string TestData = "/usr/share/pocketsphinx/test/data";
    public static byte[] GoForward() => File.ReadAllBytes(Path.Combine(TestData, "goforward.raw"));
}
