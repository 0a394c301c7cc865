using System.Collections.Concurrent;
using System.Net.Sockets;
using Vaani.Workers.Catalog;

namespace Vaani.Workers.Hosting;

/// <summary>
/// The worker side of the protocol: hosts one engine pool and serves it on a Unix domain socket
/// that the worker itself listens on (the supervisor chooses the path and connects after the
/// ready line). Each accepted connection multiplexes many STT sessions and TTS requests.
/// </summary>
public static class WorkerHost
{
    /// <summary>The line prefix a worker prints once it is listening, followed by a space and the socket path.</summary>
    public const string ReadyPrefix = "VAANI-WORKER-READY";

    /// <summary>
    /// Creates the pool's engine, listens on <see cref="WorkerOptions.SocketPath"/> and serves until
    /// <paramref name="cancellationToken"/> is cancelled or the parent is gone; then cancels running
    /// sessions, closes connections and removes the socket file.
    /// </summary>
    /// <exception cref="Vaani.Engines.EngineException"><c>unknown_pool</c> when the pool is not in the catalog.</exception>
    public static async Task RunAsync(WorkerOptions options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Pool);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.SocketPath);
        var catalog = options.Catalog ?? EngineCatalog.CreateDefault();
        var engines = catalog.Create(options.Pool);
        await using var enginesScope = engines.ConfigureAwait(false);
        var runtime = new WorkerRuntime(engines, options);

        var directory = Path.GetDirectoryName(Path.GetFullPath(options.SocketPath));
        if (!string.IsNullOrEmpty(directory))
            Directory.CreateDirectory(directory);
        if (File.Exists(options.SocketPath))
            File.Delete(options.SocketPath);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(options.SocketPath));
        // Only the owning user may talk to the worker.
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(options.SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        listener.Listen(64);
        ParentWatch.Start(options, stop);

        if (options.ReadyOutput is { } ready)
        {
            await ready.WriteLineAsync($"{ReadyPrefix} {options.SocketPath}").ConfigureAwait(false);
            await ready.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }

        var connections = new ConcurrentDictionary<Task, byte>();
        try
        {
            while (true)
            {
                var socket = await listener.AcceptAsync(stop.Token).ConfigureAwait(false);
                var handler = new WorkerConnectionHandler(socket, runtime);
                var task = handler.RunAsync(stop.Token);
                connections.TryAdd(task, 0);
                _ = task.ContinueWith(t => connections.TryRemove(t, out _), TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(connections.Keys).ConfigureAwait(false);
            try { File.Delete(options.SocketPath); } catch (IOException) { }
        }
    }
}
