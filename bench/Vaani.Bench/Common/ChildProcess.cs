using System.Diagnostics;

namespace Vaani.Bench.Common;

/// <summary>Wall and CPU time of one run of an external program, and when its first output byte arrived.</summary>
internal sealed record ChildRun(TimeSpan Wall, TimeSpan Cpu, TimeSpan? FirstByte, long StdoutBytes);

/// <summary>Runs a reference command-line tool and times the whole process.</summary>
internal static class ChildProcess
{
    /// <summary>
    /// Runs <paramref name="file"/> to completion. Wall time runs from just before the process is
    /// started to its exit (startup, model loading and teardown included). When
    /// <paramref name="readStdout"/> is set, stdout is drained and the arrival of its first byte
    /// is recorded; otherwise it is discarded by the tool itself (redirected to a file argument).
    /// </summary>
    public static async Task<ChildRun> RunAsync(string file, IReadOnlyList<string> arguments, bool readStdout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = readStdout,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        var cpuBefore = ChildCpu.Total();
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        TimeSpan? firstByte = null;
        long bytes = 0;
        if (readStdout)
        {
            var buffer = new byte[16 * 1024];
            var stream = process.StandardOutput.BaseStream;
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                firstByte ??= Stopwatch.GetElapsedTime(started);
                bytes += n;
            }
        }
        await process.WaitForExitAsync(cancellationToken);
        var wall = Stopwatch.GetElapsedTime(started);
        var errors = await stderr;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} exited with code {process.ExitCode}: {Tail(errors)}");
        return new ChildRun(wall, ChildCpu.Total() - cpuBefore, firstByte, bytes);
    }

    private static string Tail(string text) => text.Length <= 2000 ? text : text[^2000..];
}
