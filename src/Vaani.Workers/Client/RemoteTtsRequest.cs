using System.Threading.Channels;
using Vaani.Engines;
using Vaani.Workers.Protocol;

namespace Vaani.Workers.Client;

/// <summary>The gateway's view of one TTS request on a worker; see <see cref="RemoteTtsEngine"/>.</summary>
internal sealed class RemoteTtsRequest : IClientChannel
{
    private readonly WorkerConnection _connection;
    private readonly uint _channel;
    // Unbounded in count, bounded in bytes: the worker may only send TtsWindow bytes of audio ahead of
    // our credits (checked in OnFrame); words are bounded by the request text.
    private readonly Channel<TtsEvent> _events = Channel.CreateUnbounded<TtsEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private long _queuedAudio;
    private long _lastProgress;
    private long _waitingSince;
    private volatile bool _done;
    private volatile Exception? _fault;

    public RemoteTtsRequest(WorkerConnection connection, uint channel)
    {
        _connection = connection;
        _channel = channel;
        _lastProgress = connection.Time.GetTimestamp();
    }

    public async Task StartAsync(TtsRequest request, CancellationToken cancellationToken)
    {
        _connection.Register(_channel, this);
        await _connection.Writer.SendAsync(Frames.Json(FrameType.StartTts, _channel, new StartTtsMessage(request, _connection.Options.TtsWindow)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next event, or null after TtsDone. The first one must come within the start timeout.</summary>
    public async ValueTask<TtsEvent?> ReadAsync(bool first, CancellationToken cancellationToken)
    {
        var reader = _events.Reader;
        if (reader.TryRead(out var ready))
            return Taken(ready);
        Volatile.Write(ref _waitingSince, _connection.Time.GetTimestamp());
        try
        {
            var wait = reader.WaitToReadAsync(cancellationToken).AsTask();
            var more = first
                ? await wait.WaitAsync(_connection.Options.StartTimeout, _connection.Time, cancellationToken).ConfigureAwait(false)
                : await wait.ConfigureAwait(false);
            return more && reader.TryRead(out var e) ? Taken(e) : null;
        }
        catch (TimeoutException)
        {
            var error = new EngineException("start_timeout", $"worker {_connection.Hello.Pid} produced nothing for the TTS request within {_connection.Options.StartTimeout.TotalSeconds:0.###} s", isPermanent: false);
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
        _done || _fault is not null ? ValueTask.CompletedTask : _connection.Writer.SendAsync(Frames.Credit(_channel, (uint)bytes), cancellationToken);

    /// <summary>Ends the request: cancels it at the worker if it is still running.</summary>
    public void Close()
    {
        if (!_done)
            _connection.SendCancel(_channel); // see RemoteSttSession.DisposeAsync
        _done = true;
        _connection.Unregister(_channel);
    }

    void IClientChannel.OnFrame(Frame frame)
    {
        Volatile.Write(ref _lastProgress, _connection.Time.GetTimestamp());
        try
        {
            switch (frame.Type)
            {
                case FrameType.TtsAudio:
                    if (Interlocked.Add(ref _queuedAudio, frame.Payload.Length) > _connection.Options.TtsWindow)
                        throw new ProtocolException("window_exceeded", $"the worker sent more than the {_connection.Options.TtsWindow}-byte TTS window");
                    _events.Writer.TryWrite(new TtsAudio(frame.Payload));
                    break;
                case FrameType.TtsWord:
                    _events.Writer.TryWrite(Deserialize<TtsWord>(frame));
                    break;
                case FrameType.TtsDone:
                    _done = true;
                    _connection.Unregister(_channel);
                    _events.Writer.TryComplete();
                    break;
                case FrameType.Error:
                    Fault(WireJson.Deserialize<ErrorMessage>(frame.Payload, frame.Type).ToException());
                    break;
                default:
                    throw new ProtocolException("unexpected_frame", $"a TTS request does not accept {frame.Type} frames");
            }
        }
        catch (ProtocolException ex)
        {
            Fault(_connection.Lost($"protocol error on TTS request {_channel}: {ex.Message}"));
        }
    }

    public void Fault(Exception error)
    {
        if (_done)
            return;
        _fault ??= error;
        _connection.Unregister(_channel);
        _events.Writer.TryComplete(error);
    }

    void IClientChannel.CheckProgress(long nowTimestamp)
    {
        // Only a caller waiting for data with nothing arriving is a stall; a caller that is slow to
        // read holds the worker back through the window, which is not the worker's fault.
        var waitingSince = Volatile.Read(ref _waitingSince);
        if (waitingSince == 0 || _done || _fault is not null)
            return;
        var since = Math.Max(waitingSince, Volatile.Read(ref _lastProgress));
        var idle = _connection.Time.GetElapsedTime(since, nowTimestamp);
        if (idle > _connection.Options.ProgressTimeout)
            Fault(_connection.Lost($"TTS request {_channel} made no progress for {idle.TotalSeconds:0.0} s"));
    }

    private TtsEvent Taken(TtsEvent e)
    {
        if (e is TtsAudio audio)
            Interlocked.Add(ref _queuedAudio, -audio.Audio.Length);
        return e;
    }

    private static T Deserialize<T>(Frame frame) => WireJson.Deserialize<T>(frame.Payload, frame.Type);
}
