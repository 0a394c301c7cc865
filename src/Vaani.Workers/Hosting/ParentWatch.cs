using System.Runtime.InteropServices;

namespace Vaani.Workers.Hosting;

/// <summary>
/// Ends a worker whose supervisor is gone: by polling getppid() against the expected parent and/or
/// by waiting for end of file on stdin (see <see cref="WorkerOptions.ParentPid"/>,
/// <see cref="WorkerOptions.ExitOnStdinClose"/>).
/// </summary>
internal static partial class ParentWatch
{
    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentPid();

    /// <summary>Starts the configured watches; each cancels <paramref name="stop"/> when the parent is gone.</summary>
    public static void Start(WorkerOptions options, CancellationTokenSource stop)
    {
        if (options.ParentPid is { } expected)
        {
            _ = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(options.ParentPollInterval);
                try
                {
                    do
                    {
                        if (GetParentPid() != expected)
                        {
                            await Console.Error.WriteLineAsync($"worker: parent process {expected} is gone; exiting").ConfigureAwait(false);
                            stop.Cancel();
                            return;
                        }
                    }
                    while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false));
                }
                catch (OperationCanceledException) { }
            });
        }
        if (options.ExitOnStdinClose)
        {
            // A dedicated thread: console stdin reads are blocking underneath.
            var thread = new Thread(() =>
            {
                using var stdin = Console.OpenStandardInput();
                var buffer = new byte[256];
                try
                {
                    while (stdin.Read(buffer, 0, buffer.Length) > 0) { }
                }
                catch (IOException) { }
                if (!stop.IsCancellationRequested)
                {
                    Console.Error.WriteLine("worker: standard input closed (parent gone); exiting");
                    try { stop.Cancel(); } catch (ObjectDisposedException) { }
                }
            })
            { IsBackground = true, Name = "vaani-parent-stdin-watch" };
            thread.Start();
        }
    }
}
