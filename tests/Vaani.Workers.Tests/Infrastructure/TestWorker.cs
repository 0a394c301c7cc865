using System.Diagnostics;
using Vaani.Workers.Hosting;

namespace Vaani.Workers.Tests.Infrastructure;

/// <summary>A real worker child process (Vaani.Workers.TestHost) listening on a socket in a fresh temp dir.</summary>
internal sealed class TestWorker : IAsyncDisposable
{
    private TestWorker(Process process, TempDir dir, string socketPath)
    {
        Process = process;
        Dir = dir;
        SocketPath = socketPath;
    }

    public Process Process { get; }
    public TempDir Dir { get; }
    public string SocketPath { get; }

    /// <summary>The test worker executable, copied next to the test assembly by the project reference.</summary>
    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "Vaani.Workers.TestHost.dll");

    public static ProcessStartInfo StartInfo(string pool, string socketPath)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(HostDll);
        info.ArgumentList.Add("--pool");
        info.ArgumentList.Add(pool);
        info.ArgumentList.Add("--socket");
        info.ArgumentList.Add(socketPath);
        return info;
    }

    public static async Task<TestWorker> StartAsync(string pool = "stt-passthrough")
    {
        var dir = new TempDir();
        var socket = Path.Combine(dir.Path, "w.sock");
        var process = Process.Start(StartInfo(pool, socket))!;
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (line != $"{WorkerHost.ReadyPrefix} {socket}")
        {
            var err = await process.StandardError.ReadToEndAsync();
            process.Kill();
            throw new InvalidOperationException($"worker did not become ready: stdout '{line}', stderr '{err}'");
        }
        return new TestWorker(process, dir, socket);
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            // A stopped (SIGSTOP) process must be continued for SIGKILL bookkeeping to be prompt in some kernels.
            Signal.Send(Process.Id, "CONT");
            Process.Kill(entireProcessTree: true);
        }
        await Process.WaitForExitAsync();
        Process.Dispose();
        Dir.Dispose();
    }
}

/// <summary>A temp directory with a short path (Unix socket paths are limited to ~107 bytes), deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("vaani-w-").FullName;

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Sends a POSIX signal with the real <c>kill</c> tool.</summary>
internal static class Signal
{
    public static void Send(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {pid}") { UseShellExecute = false, RedirectStandardError = true })!;
        kill.WaitForExit();
    }
}
