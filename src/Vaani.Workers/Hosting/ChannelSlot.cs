namespace Vaani.Workers.Hosting;

/// <summary>
/// A started channel's capacity slot on its worker, freed exactly once. A channel frees it after
/// releasing its engine resources and before sending its last frame (SttClosed, TtsDone, Error), so
/// a gateway that places its next session as soon as it reads that frame finds the slot free instead
/// of being refused with <c>worker_busy</c>; the connection handler frees it when the channel
/// completes, for paths that end without a last frame (cancelled, connection lost).
/// </summary>
internal sealed class ChannelSlot(WorkerConnectionHandler connection, uint channel)
{
    private int _freed;

    public void Free()
    {
        if (Interlocked.Exchange(ref _freed, 1) == 0)
            connection.FreeSlot(channel);
    }
}
