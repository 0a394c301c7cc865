using System.Diagnostics;

namespace Vaani.Audio.Tests.Support;

/// <summary>Runs the real sox/soxi binaries as the reference implementation.</summary>
internal static class Sox
{
    public static string Run(params string[] args) => RunTool("sox", args);

    public static string Soxi(params string[] args) => RunTool("soxi", args).Trim();

    /// <summary>Raw bytes sox produces from raw input bytes: <c>sox inArgs in outArgs out [effects]</c>.</summary>
    public static byte[] ConvertRaw(byte[] input, string[] inArgs, string[] outArgs, params string[] effects)
    {
        using var dir = new TempDir();
        string inPath = dir.File("in.raw");
        string outPath = dir.File("out.raw");
        File.WriteAllBytes(inPath, input);
        Run([.. inArgs, inPath, .. outArgs, outPath, .. effects]);
        return File.ReadAllBytes(outPath);
    }

    /// <summary>Runs sox with <paramref name="stdin"/> as standard input and returns its standard error (where effects like stats print).</summary>
    public static string RunStderr(params object[] argsThenStdin)
    {
        string[] args = argsThenStdin[..^1].Cast<string>().ToArray();
        byte[] stdin = (byte[])argsThenStdin[^1];
        var psi = new ProcessStartInfo("sox")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("sox did not start");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        p.StandardInput.BaseStream.Write(stdin);
        p.StandardInput.Close();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"sox exited {p.ExitCode}: {stderr.Result}");
        _ = stdout.Result;
        return stderr.Result;
    }

    private static string RunTool(string tool, string[] args)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start");
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result}");
        return stdout;
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("vaani-audio-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
