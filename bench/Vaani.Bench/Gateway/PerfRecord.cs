using System.Diagnostics;
using System.Globalization;

namespace Vaani.Bench.Gateway;

/// <summary>
/// <c>perf record</c> sampling one process (all its threads) until stopped: the bench's
/// <c>--perf DIR</c> profiles the proxy over each measured window. Run the proxy with
/// <c>DOTNET_PerfMapEnabled=1</c> so that <c>perf report</c> names its compiled code.
/// </summary>
internal sealed class PerfRecord : IDisposable
{
    private readonly Process _process;

    private PerfRecord(Process process) => _process = process;

    public static PerfRecord Start(int pid, string output)
    {
        var start = new ProcessStartInfo("perf") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in (string[])["record", "-g", "-F", "4999", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", output])
            start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("perf could not be started");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"--perf needs the perf tool on PATH (Debian package linux-perf): {ex.Message}", ex);
        }
        process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEndAsync();
        return new PerfRecord(process);
    }

    /// <summary>Stops sampling (SIGINT, as Ctrl-C) and waits for the file to be written, at most 30 s.</summary>
    public async Task StopAsync() => await Signals.StopAsync(_process, Signals.SigInt, TimeSpan.FromSeconds(30));

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
    }
}
