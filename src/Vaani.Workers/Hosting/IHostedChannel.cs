using Vaani.Workers.Protocol;

namespace Vaani.Workers.Hosting;

/// <summary>One multiplexed STT session or TTS request inside a worker connection.</summary>
internal interface IHostedChannel
{
    /// <summary>Starts the work; called once, after the channel is registered.</summary>
    void Start();

    /// <summary>Handles a frame for this channel. Must not block: the connection's reader calls it.</summary>
    void OnFrame(Frame frame);

    /// <summary>Abandons the work: no further frames are sent for the channel.</summary>
    void Cancel();

    /// <summary>Completes when the channel has released its engine session and capacity slot.</summary>
    Task Completion { get; }
}
