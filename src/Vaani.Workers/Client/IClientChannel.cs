using Vaani.Workers.Protocol;

namespace Vaani.Workers.Client;

/// <summary>A session or request multiplexed on a <see cref="WorkerConnection"/>, as the connection sees it.</summary>
internal interface IClientChannel
{
    /// <summary>Handles a frame from the worker. Must not block: the connection's reader calls it.</summary>
    void OnFrame(Frame frame);

    /// <summary>Ends the channel with <paramref name="error"/>; later calls on it throw that error.</summary>
    void Fault(Exception error);

    /// <summary>Faults the channel if it has outstanding work and nothing arrived for the progress timeout.</summary>
    void CheckProgress(long nowTimestamp);
}
