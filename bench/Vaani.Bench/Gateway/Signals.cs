using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Vaani.Bench.Gateway;

/// <summary>Stops child processes gracefully (SIGTERM or SIGQUIT), then by force after a deadline.</summary>
internal static partial class Signals
{
    public const int SigInt = 2;
    public const int SigQuit = 3;
    public const int SigTerm = 15;

    public static async Task StopAsync(Process process, int signal, TimeSpan grace)
    {
        if (process.HasExited) return;
        _ = kill(process.Id, signal);
        using var wait = new CancellationTokenSource(grace);
        try { await process.WaitForExitAsync(wait.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
