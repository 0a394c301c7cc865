using System.Threading.Channels;
using Vaani.Engines;
using Vaani.Workers.Protocol;

namespace Vaani.Workers.Client;

/// <summary>The gateway's view of one TTS request on a worker; see <see cref="RemoteTtsEngine"/>.</summary>
internal sealed class RemoteTtsRequest : RemoteChannel
{
    // Unbounded in count, bounded in bytes: the worker may only send TtsWindow bytes of audio ahead of
    // our credits (checked in OnFrame); words are bounded by the request text.
    private readonly Channel<TtsEvent> _events = Channel.CreateUnbounded<TtsEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private long _queuedAudio;
    private long _waitingSince;
    private volatile bool _done;
    private volatile Exception? _fault;

    public RemoteTtsRequest(WorkerConnection connection, uint channel)
        : base(connection, channel)
    {
    }

    public async Task StartAsync(TtsRequest request, CancellationToken cancellationToken)
    {
        Connection.Register(ChannelId, this);
        await Connection.Writer.SendAsync(Frames.Json(FrameType.StartTts, ChannelId, new StartTtsMessage(request, Connection.Options.TtsWindow)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next event, or null after TtsDone. The first one must come within the start timeout.</summary>
    public async ValueTask<TtsEvent?> ReadAsync(bool first, CancellationToken cancellationToken)
    {
        var reader = _events.Reader;
        if (reader.TryRead(out var ready))
            return Taken(ready);
        Volatile.Write(ref _waitingSince, Connection.Time.GetTimestamp());
        try
        {
            var wait = reader.WaitToReadAsync(cancellationToken).AsTask();
            var more = first
                ? await wait.WaitAsync(Connection.Options.StartTimeout, Connection.Time, cancellationToken).ConfigureAwait(false)
                : await wait.ConfigureAwait(false);
            return more && reader.TryRead(out var e) ? Taken(e) : null;
        }
        catch (TimeoutException)
        {
            var error = new EngineException("start_timeout", $"worker {Connection.Hello.Pid} produced nothing for the TTS request within {Connection.Options.StartTimeout.TotalSeconds:0.###} s", isPermanent: false);
            Fault(error);
            throw error;
        }
        finally
        {
            Volatile.Write(ref _waitingSince, 0);
        }
    }

    /// <summary>Returns credit for audio the caller consumed.</summary>
    public ValueTask CreditAsync(int bytes, CancellationToken cancellationToken) =>
        _done || _fault is not null ? ValueTask.CompletedTask : Connection.Writer.SendAsync(Frames.Credit(ChannelId, (uint)bytes), cancellationToken);

    /// <summary>Ends the request: cancels it at the worker if it is still running.</summary>
    public void Close()
    {
        if (!_done)
            Connection.SendCancel(ChannelId); // see RemoteSttSession.DisposeAsync
        _done = true;
        Connection.Unregister(ChannelId);
    }

    protected override string Name => $"TTS request {ChannelId}";

    protected override void Handle(Frame frame)
    {
        switch (frame.Type)
        {
            case FrameType.TtsAudio:
                if (Interlocked.Add(ref _queuedAudio, frame.Payload.Length) > Connection.Options.TtsWindow)
                    throw new ProtocolException("window_exceeded", $"the worker sent more than the {Connection.Options.TtsWindow}-byte TTS window");
                _events.Writer.TryWrite(new TtsAudio(frame.Payload));
                break;
            case FrameType.TtsWord:
                _events.Writer.TryWrite(Deserialize<TtsWord>(frame));
                break;
            case FrameType.TtsDone:
                _done = true;
                Connection.Unregister(ChannelId);
                _events.Writer.TryComplete();
                break;
            default:
                throw new ProtocolException("unexpected_frame", $"a TTS request does not accept {frame.Type} frames");
        }
    }

    public override void Fault(Exception error)
    {
        if (_done)
            return;
        _fault ??= error;
        Connection.Unregister(ChannelId);
        _events.Writer.TryComplete(error);
    }

    public override void CheckProgress(long nowTimestamp)
    {
        // Only a caller waiting for data with nothing arriving is a stall; a caller that is slow to
        // read holds the worker back through the window, which is not the worker's fault.
        var waitingSince = Volatile.Read(ref _waitingSince);
        if (waitingSince == 0 || _done || _fault is not null)
            return;
        var since = Math.Max(waitingSince, LastProgress);
        var idle = Connection.Time.GetElapsedTime(since, nowTimestamp);
        if (idle > Connection.Options.ProgressTimeout)
            Fault(Connection.Lost($"TTS request {ChannelId} made no progress for {idle.TotalSeconds:0.0} s"));
    }

    private TtsEvent Taken(TtsEvent e)
    {
        if (e is TtsAudio audio)
            Interlocked.Add(ref _queuedAudio, -audio.Audio.Length);
        return e;
    }

    private static T Deserialize<T>(Frame frame) => WireJson.Deserialize<T>(frame.Payload, frame.Type);
}
