using Vaani.Engines;

namespace Vaani.Workers.Client;

/// <summary>
/// An <see cref="ISpeechToTextEngine"/> running in a worker process, reached over a
/// <see cref="WorkerConnection"/>: the gateway's session core uses it exactly like an in-process engine.
/// </summary>
public sealed class RemoteSttEngine : ISpeechToTextEngine
{
    private readonly WorkerConnection _connection;

    internal RemoteSttEngine(WorkerConnection connection, EngineCapabilities capabilities)
    {
        _connection = connection;
        Capabilities = capabilities;
    }

    public EngineCapabilities Capabilities { get; }

    /// <summary>
    /// Opens a session on the worker and waits for its acknowledgement within
    /// <see cref="WorkerConnectionOptions.StartTimeout"/>.
    /// </summary>
    /// <exception cref="EngineException"><c>start_timeout</c> or <c>worker_lost</c> (not permanent), or the worker's own error (e.g. <c>worker_busy</c>).</exception>
    public async ValueTask<ISpeechToTextSession> StartSessionAsync(SttSessionOptions options, CancellationToken cancellationToken)
    {
        var session = new RemoteSttSession(_connection, _connection.NextChannelId());
        await session.StartAsync(options, cancellationToken).ConfigureAwait(false);
        return session;
    }
}
