using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Vaani.Engines;
using Vaani.Workers.Protocol;

namespace Vaani.Workers.Client;

/// <summary>
/// The gateway's view of one STT session on a worker. Audio is sent within the worker's credit
/// window; events arrive through a bounded buffer, or straight from the connection's reader to a
/// sink (<see cref="TrySetEventSink"/>). When the worker is lost, sends and the event stream throw
/// <see cref="EngineException"/> <c>worker_lost</c> after the events already received.
/// </summary>
internal sealed class RemoteSttSession : RemoteChannel, ISpeechToTextSession
{
    /// <summary>Largest Audio payload sent; bigger caller chunks are split.</summary>
    private const int MaxChunk = 64 * 1024;

    private readonly CreditWindow _window;
    private readonly Channel<SttEvent> _events;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Exception? _fault;
    private volatile bool _completeSent;
    private volatile bool _closed;

    // Event delivery: the channel until a sink is set, the sink after. _sinkGate orders setting the
    // sink against the first queued event and against the end of the stream.
    private readonly Lock _sinkGate = new();
    private volatile ISttEventSink? _sink;
    private bool _eventsQueued;
    private bool _eventsEnded;

    public RemoteSttSession(WorkerConnection connection, uint channel)
        : base(connection, channel)
    {
        _window = new CreditWindow(connection.Hello.AudioWindow);
        _events = Channel.CreateBounded<SttEvent>(new BoundedChannelOptions(connection.Options.MaxPendingEvents) { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
    }

    public async Task StartAsync(SttSessionOptions options, CancellationToken cancellationToken)
    {
        Connection.Register(ChannelId, this);
        try
        {
            await Connection.Writer.SendAsync(Frames.Json(FrameType.StartStt, ChannelId, new StartSttMessage(options)), cancellationToken).ConfigureAwait(false);
            await _started.Task.WaitAsync(Connection.Options.StartTimeout, Connection.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var error = new EngineException("start_timeout", $"worker {Connection.Hello.Pid} did not acknowledge the session within {Connection.Options.StartTimeout.TotalSeconds:0.###} s", isPermanent: false);
            Connection.Writer.TrySend(Frame.Empty(FrameType.Cancel, ChannelId));
            Abandon(error);
            throw error;
        }
        catch (Exception ex)
        {
            // The worker may still start the session (e.g. the caller gave up waiting): tell it not to.
            Connection.SendCancel(ChannelId);
            Abandon(ex is EngineException ? ex : _fault ?? ex);
            throw;
        }
    }

    public async ValueTask SendAudioAsync(ReadOnlyMemory<byte> audio, CancellationToken cancellationToken)
    {
        ThrowIfUnusable();
        var chunkSize = Math.Min(MaxChunk, _window.Size);
        for (var offset = 0; offset < audio.Length; offset += chunkSize)
        {
            var chunk = audio.Slice(offset, Math.Min(chunkSize, audio.Length - offset));
            if (_window.InFlight == 0)
                MarkProgress();
            await _window.TakeAsync(chunk.Length, cancellationToken).ConfigureAwait(false);
            // Copied: the caller may reuse its buffer as soon as this returns.
            await Connection.Writer.SendAsync(new Frame(FrameType.Audio, ChannelId, chunk.ToArray()), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends the audio as one frame in the caller's call when the credit window has room and the
    /// connection's writer is idle; false (nothing sent) otherwise, and after a failure (the
    /// queued <see cref="SendAudioAsync"/> then throws it).
    /// </summary>
    public bool TrySendAudio(ReadOnlySpan<byte> audio)
    {
        if (_fault is not null || _completeSent || audio.IsEmpty || audio.Length > FrameWriter.MaxDirectPayload)
            return false;
        if (!_window.TryTake(audio.Length, out var wasIdle))
            return false;
        if (wasIdle)
            MarkProgress();
        if (Connection.Writer.TryWriteNow(FrameType.Audio, ChannelId, audio))
            return true;
        _window.Release(audio.Length);
        return false;
    }

    public async ValueTask FinalizeAsync(CancellationToken cancellationToken)
    {
        ThrowIfUnusable();
        await Connection.Writer.SendAsync(Frame.Empty(FrameType.Finalize, ChannelId), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_completeSent)
            return;
        ThrowIfUnusable();
        MarkProgress();
        _completeSent = true;
        await Connection.Writer.SendAsync(Frame.Empty(FrameType.Complete, ChannelId), cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<SttEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_sink is not null)
            throw new InvalidOperationException("this session's events go to the sink set with TrySetEventSink");
        // Events received before a failure are delivered first; then the failure is thrown.
        while (await _events.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_events.Reader.TryRead(out var e))
                yield return e;
        }
    }

    public bool TrySetEventSink(ISttEventSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (_sinkGate)
        {
            if (_sink is not null || _eventsQueued || _eventsEnded)
                return false;
            _sink = sink;
            return true;
        }
    }

    public ValueTask DisposeAsync()
    {
        // Unless the worker itself closed the session, tell it to end it — also after a local fault
        // (a cancelled send, a caller that went away): otherwise the worker would keep the session,
        // and its decoder, waiting for audio that never comes. A Cancel for a session the worker
        // already ended is ignored.
        if (!_closed)
            Connection.SendCancel(ChannelId);
        Abandon(new ObjectDisposedException(nameof(RemoteSttSession), "the session was disposed"));
        return ValueTask.CompletedTask;
    }

    protected override string Name => $"session {ChannelId}";

    protected override void Handle(Frame frame)
    {
        switch (frame.Type)
        {
            case FrameType.SttStarted:
                _started.TrySetResult();
                break;
            case FrameType.SttEvent:
                Deliver(WireJson.Deserialize<WireSttEvent>(frame.Payload, frame.Type).ToEvent());
                break;
            case FrameType.Credit:
                if (!_window.Release(Frames.ReadCredit(frame)))
                    throw new ProtocolException("bad_credit", "the worker credited more audio than was sent");
                break;
            case FrameType.SttClosed:
                _closed = true;
                Connection.Unregister(ChannelId);
                _window.Fault(new EngineException("session_completed", "the session was completed: no more audio is accepted", isPermanent: true));
                EndEvents(null);
                break;
            default:
                throw new ProtocolException("unexpected_frame", $"an STT session does not accept {frame.Type} frames");
        }
    }

    public override void Fault(Exception error)
    {
        if (_closed)
            return;
        _fault ??= error;
        Connection.Unregister(ChannelId);
        _started.TrySetException(error);
        _window.Fault(error);
        EndEvents(error);
    }

    public override void CheckProgress(long nowTimestamp)
    {
        var outstanding = _window.InFlight > 0 || (_completeSent && !_closed);
        if (!outstanding || _fault is not null)
            return;
        var idle = Connection.Time.GetElapsedTime(LastProgress, nowTimestamp);
        if (idle > Connection.Options.ProgressTimeout)
            Fault(Connection.Lost($"session {ChannelId} made no progress for {idle.TotalSeconds:0.0} s with {_window.InFlight} bytes of audio outstanding"));
    }

    private void Abandon(Exception error)
    {
        Connection.Unregister(ChannelId);
        _fault ??= error;
        _window.Fault(error);
        EndEvents(null);
    }

    /// <summary>Hands an event to the sink, or queues it for <see cref="ReadEventsAsync"/> while none is set.</summary>
    private void Deliver(SttEvent e)
    {
        var sink = _sink;
        if (sink is null)
        {
            bool queued;
            lock (_sinkGate)
            {
                sink = _sink;
                if (sink is null)
                {
                    _eventsQueued = true;
                    queued = _events.Writer.TryWrite(e);
                }
                else queued = true;
            }
            if (sink is null)
            {
                if (!queued)
                    Fault(new EngineException("event_overflow", $"the session's reader fell {Connection.Options.MaxPendingEvents} events behind; the session was dropped", isPermanent: false));
                return;
            }
        }
        bool taken;
        try { taken = sink.OnEvent(e); }
        catch (Exception ex)
        {
            // The sink's failure is this session's alone: it must not end the connection's reader.
            Fault(ex);
            return;
        }
        if (!taken)
            Fault(new EngineException("event_overflow", "the session's event sink was full; the session was dropped", isPermanent: false));
    }

    /// <summary>Ends the event stream once: completes the channel, or tells the sink.</summary>
    private void EndEvents(Exception? error)
    {
        ISttEventSink? sink;
        lock (_sinkGate)
        {
            if (_eventsEnded)
                return;
            _eventsEnded = true;
            sink = _sink;
            if (sink is null)
            {
                if (error is null) _events.Writer.TryComplete();
                else _events.Writer.TryComplete(error);
                return;
            }
        }
        try { sink.OnCompleted(error); }
        catch (Exception) { /* the sink's own failure; the stream has ended either way */ }
    }

    private void ThrowIfUnusable()
    {
        if (_fault is { } fault)
            throw fault;
        if (_completeSent)
            throw new EngineException("session_completed", "the session was completed: no more audio or finalize is accepted", isPermanent: true);
    }
}
