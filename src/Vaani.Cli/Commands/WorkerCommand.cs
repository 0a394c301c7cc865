using Vaani.Workers.Catalog;
using Vaani.Workers.Hosting;

namespace Vaani.Cli.Commands;

/// <summary><c>vaani worker --pool NAME --socket PATH</c>: runs one engine-pool worker process.</summary>
public static class WorkerCommand
{
    /// <summary>Runs the worker until SIGTERM or until its supervising parent is gone; returns the exit code.</summary>
    public static Task<int> RunAsync(string pool, string socketPath, CancellationToken ct) =>
        WorkerProcess.RunAsync(pool, socketPath, CreateCatalog(), ct);

    /// <summary>The pools this build can host. Native engines (PocketSphinx, eSpeak NG) register here.</summary>
    public static EngineCatalog CreateCatalog() => EngineCatalog.CreateDefault();
}
