using System.Globalization;
using System.Runtime.InteropServices;
using Vaani.Engines;
using Vaani.Workers.Catalog;

namespace Vaani.Workers.Hosting;

/// <summary>
/// The entry point of a worker executable (<c>vaani worker --pool NAME --socket PATH</c>): wires
/// SIGTERM/SIGINT to a clean shutdown, reads the parent-watch settings the supervisor passes in the
/// environment, prints the ready line on stdout and maps failures to exit codes.
/// </summary>
public static class WorkerProcess
{
    /// <summary>Environment variable holding the supervisor's pid; see <see cref="WorkerOptions.ParentPid"/>.</summary>
    public const string ParentPidVariable = "VAANI_WORKER_PARENT_PID";

    /// <summary>Environment variable; "1" enables <see cref="WorkerOptions.ExitOnStdinClose"/>.</summary>
    public const string WatchStdinVariable = "VAANI_WORKER_WATCH_STDIN";

    /// <summary>Exit code for a pool that is not in the catalog (a configuration error: restarting will not help).</summary>
    public const int ExitUnknownPool = 2;

    /// <summary>
    /// Exit code for an engine that cannot start on this machine: its native library or model is
    /// missing, or its settings are invalid. Restarting will not help until the machine is fixed.
    /// </summary>
    public const int ExitEngineUnavailable = 3;

    /// <summary>True for the exit codes that mean the machine or configuration must change (<see cref="ExitUnknownPool"/>, <see cref="ExitEngineUnavailable"/>).</summary>
    public static bool IsConfigurationExit(int? exitCode) => exitCode is ExitUnknownPool or ExitEngineUnavailable;

    /// <summary>Runs a worker until SIGTERM/SIGINT, <paramref name="cancellationToken"/> or loss of the parent. Returns the exit code.</summary>
    public static async Task<int> RunAsync(string pool, string socketPath, EngineCatalog? catalog, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnSignal(PosixSignalContext context)
        {
            // Handle the signal ourselves so sessions are cancelled and the socket file removed.
            context.Cancel = true;
            stop.Cancel();
        }
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        int? parentPid = int.TryParse(Environment.GetEnvironmentVariable(ParentPidVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        var options = new WorkerOptions
        {
            Pool = pool,
            SocketPath = socketPath,
            Catalog = catalog,
            ParentPid = parentPid,
            ExitOnStdinClose = Environment.GetEnvironmentVariable(WatchStdinVariable) == "1",
            ReadyOutput = Console.Out,
        };
        try
        {
            await WorkerHost.RunAsync(options, stop.Token).ConfigureAwait(false);
            return 0;
        }
        catch (EngineException ex) when (ex.Code == "unknown_pool")
        {
            await Console.Error.WriteLineAsync($"worker: {ex.Message}").ConfigureAwait(false);
            return ExitUnknownPool;
        }
        catch (Exception ex) when (IsEngineUnavailable(ex))
        {
            // One line, the last the supervisor sees: it quotes it in its log and start-up error.
            await Console.Error.WriteLineAsync($"worker: pool '{pool}' cannot start its engine: {Describe(ex)}").ConfigureAwait(false);
            return ExitEngineUnavailable;
        }
        catch (Exception ex)
        {
            // The trace first, then a one-line summary last: the supervisor keeps the tail of stderr.
            await Console.Error.WriteLineAsync($"worker: pool '{pool}' failed: {ex}").ConfigureAwait(false);
            await Console.Error.WriteLineAsync($"worker: pool '{pool}' failed: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static bool IsEngineUnavailable(Exception ex) => ex switch
    {
        EngineException e => e.Code is "engine_unavailable" or "invalid_configuration",
        AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(IsEngineUnavailable),
        TypeInitializationException { InnerException: { } inner } => IsEngineUnavailable(inner),
        DllNotFoundException or EntryPointNotFoundException or BadImageFormatException => true,
        _ => false,
    };

    private static string Describe(Exception ex) => ex switch
    {
        AggregateException a => string.Join("; ", a.InnerExceptions.Select(Describe)),
        TypeInitializationException { InnerException: { } inner } => Describe(inner),
        EngineException e => e.Message,
        _ => $"a native library could not be loaded ({FirstSentence(ex.Message)}); run scripts/setup.sh",
    };

    /// <summary>
    /// The loader's own message runs over many lines (every path tried); its first sentence names
    /// the library, and the summary must stay on one line.
    /// </summary>
    private static string FirstSentence(string message)
    {
        var line = message.ReplaceLineEndings(" ");
        int end = line.IndexOf(". ", StringComparison.Ordinal);
        return (end > 0 ? line[..end] : line).Trim();
    }
}
