using Vaani.Workers.Protocol;

namespace Vaani.Workers.Client;

/// <summary>
/// What every channel does with a frame from the worker: note the progress, turn an <c>Error</c>
/// frame into a fault, and treat a frame the channel cannot take as a protocol error. Such an error
/// faults this channel with <c>worker_lost</c>, naming the channel, so the caller re-places the
/// session on another worker; the connection's other channels carry on.
/// </summary>
internal abstract class RemoteChannel(WorkerConnection connection, uint channel) : IClientChannel
{
    private long _lastProgress = connection.Time.GetTimestamp();

    protected WorkerConnection Connection { get; } = connection;

    protected uint ChannelId { get; } = channel;

    /// <summary>When the worker last sent a frame for this channel (or the caller last marked progress).</summary>
    protected long LastProgress => Volatile.Read(ref _lastProgress);

    /// <summary>How protocol errors name this channel, e.g. "session 7".</summary>
    protected abstract string Name { get; }

    protected void MarkProgress() => Volatile.Write(ref _lastProgress, Connection.Time.GetTimestamp());

    /// <summary>Handles a frame other than <c>Error</c>; throws <see cref="ProtocolException"/> for one the channel cannot take.</summary>
    protected abstract void Handle(Frame frame);

    void IClientChannel.OnFrame(Frame frame)
    {
        MarkProgress();
        try
        {
            if (frame.Type == FrameType.Error)
                Fault(WireJson.Deserialize<ErrorMessage>(frame.Payload, frame.Type).ToException());
            else
                Handle(frame);
        }
        catch (ProtocolException ex)
        {
            Fault(Connection.Lost($"protocol error on {Name}: {ex.Message}"));
        }
    }

    public abstract void Fault(Exception error);

    public abstract void CheckProgress(long nowTimestamp);
}
