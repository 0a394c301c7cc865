using Vaani.Testing;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Vaani.MultiNode.Tests.Support;

/// <summary>
/// A real <c>dotnet vaani.dll &lt;role&gt; …</c> process. Its stderr is collected line by line so a
/// test can wait (with a deadline) for the line that announces its URL.
/// </summary>
public sealed class VaaniProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _lineArrived = new(0);

    private VaaniProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote so far (stdout and stderr).</summary>
    public string Log
    {
        get { lock (_lock) return _log.ToString(); }
    }

    public static VaaniProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = RepoPaths.Root };
        psi.ArgumentList.Add(RepoPaths.VaaniDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var vp = new VaaniProcess(process);
        process.ErrorDataReceived += (_, e) => vp.Append(e.Data);
        process.OutputDataReceived += (_, e) => vp.Append(e.Data);
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return vp;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_lock) _log.AppendLine(line);
        _lineArrived.Release();
    }

    /// <summary>Waits until the output matches <paramref name="pattern"/>; returns the first group.</summary>
    public async Task<string> WaitForAsync(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var m = regex.Match(Log);
            if (m.Success) return m.Groups.Count > 1 ? m.Groups[1].Value : m.Value;
            if (_process.HasExited)
            {
                _process.WaitForExit();
                m = regex.Match(Log);
                if (m.Success) return m.Groups.Count > 1 ? m.Groups[1].Value : m.Value;
                throw new InvalidOperationException($"vaani exited with {_process.ExitCode} before printing /{pattern}/:\n{Log}");
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"vaani did not print /{pattern}/ within {timeout.TotalSeconds:0} s:\n{Log}");
            await _lineArrived.WaitAsync(left < TimeSpan.FromMilliseconds(500) ? left : TimeSpan.FromMilliseconds(500));
        }
    }

    /// <summary>SIGKILL this process only (a crash): children notice their parent is gone on their own.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }
}
