using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Vaani.Engines;
using Vaani.Workers.Protocol;

namespace Vaani.Workers.Client;

/// <summary>
/// The gateway's view of one STT session on a worker. Audio is sent within the worker's credit
/// window; events arrive through a bounded buffer. When the worker is lost, sends and the event
/// stream throw <see cref="EngineException"/> <c>worker_lost</c> after the events already received.
/// </summary>
internal sealed class RemoteSttSession : ISpeechToTextSession, IClientChannel
{
    /// <summary>Largest Audio payload sent; bigger caller chunks are split.</summary>
    private const int MaxChunk = 64 * 1024;

    private readonly WorkerConnection _connection;
    private readonly uint _channel;
    private readonly CreditWindow _window;
    private readonly Channel<SttEvent> _events;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastProgress;
    private volatile Exception? _fault;
    private volatile bool _completeSent;
    private volatile bool _closed;

    public RemoteSttSession(WorkerConnection connection, uint channel)
    {
        _connection = connection;
        _channel = channel;
        _window = new CreditWindow(connection.Hello.AudioWindow);
        _events = Channel.CreateBounded<SttEvent>(new BoundedChannelOptions(connection.Options.MaxPendingEvents) { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
        _lastProgress = connection.Time.GetTimestamp();
    }

    public async Task StartAsync(SttSessionOptions options, CancellationToken cancellationToken)
    {
        _connection.Register(_channel, this);
        try
        {
            await _connection.Writer.SendAsync(Frames.Json(FrameType.StartStt, _channel, new StartSttMessage(options)), cancellationToken).ConfigureAwait(false);
            await _started.Task.WaitAsync(_connection.Options.StartTimeout, _connection.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var error = new EngineException("start_timeout", $"worker {_connection.Hello.Pid} did not acknowledge the session within {_connection.Options.StartTimeout.TotalSeconds:0.###} s", isPermanent: false);
            _connection.Writer.TrySend(Frame.Empty(FrameType.Cancel, _channel));
            Abandon(error);
            throw error;
        }
        catch (Exception ex)
        {
            // The worker may still start the session (e.g. the caller gave up waiting): tell it not to.
            _connection.SendCancel(_channel);
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
                Volatile.Write(ref _lastProgress, _connection.Time.GetTimestamp());
            await _window.TakeAsync(chunk.Length, cancellationToken).ConfigureAwait(false);
            // Copied: the caller may reuse its buffer as soon as this returns.
            await _connection.Writer.SendAsync(new Frame(FrameType.Audio, _channel, chunk.ToArray()), cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask FinalizeAsync(CancellationToken cancellationToken)
    {
        ThrowIfUnusable();
        await _connection.Writer.SendAsync(Frame.Empty(FrameType.Finalize, _channel), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_completeSent)
            return;
        ThrowIfUnusable();
        Volatile.Write(ref _lastProgress, _connection.Time.GetTimestamp());
        _completeSent = true;
        await _connection.Writer.SendAsync(Frame.Empty(FrameType.Complete, _channel), cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<SttEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Events received before a failure are delivered first; then the failure is thrown.
        while (await _events.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_events.Reader.TryRead(out var e))
                yield return e;
        }
    }

    public ValueTask DisposeAsync()
    {
        // Unless the worker itself closed the session, tell it to end it — also after a local fault
        // (a cancelled send, a caller that went away): otherwise the worker would keep the session,
        // and its decoder, waiting for audio that never comes. A Cancel for a session the worker
        // already ended is ignored.
        if (!_closed)
            _connection.SendCancel(_channel);
        Abandon(new ObjectDisposedException(nameof(RemoteSttSession), "the session was disposed"));
        return ValueTask.CompletedTask;
    }

    void IClientChannel.OnFrame(Frame frame)
    {
        Volatile.Write(ref _lastProgress, _connection.Time.GetTimestamp());
        try
        {
            switch (frame.Type)
            {
                case FrameType.SttStarted:
                    _started.TrySetResult();
                    break;
                case FrameType.SttEvent:
                    var e = WireJson.Deserialize<WireSttEvent>(frame.Payload, frame.Type).ToEvent();
                    if (!_events.Writer.TryWrite(e))
                        Fault(new EngineException("event_overflow", $"the session's reader fell {_connection.Options.MaxPendingEvents} events behind; the session was dropped", isPermanent: false));
                    break;
                case FrameType.Credit:
                    if (!_window.Release(Frames.ReadCredit(frame)))
                        throw new ProtocolException("bad_credit", "the worker credited more audio than was sent");
                    break;
                case FrameType.SttClosed:
                    _closed = true;
                    _connection.Unregister(_channel);
                    _window.Fault(new EngineException("session_completed", "the session was completed: no more audio is accepted", isPermanent: true));
                    _events.Writer.TryComplete();
                    break;
                case FrameType.Error:
                    Fault(WireJson.Deserialize<ErrorMessage>(frame.Payload, frame.Type).ToException());
                    break;
                default:
                    throw new ProtocolException("unexpected_frame", $"an STT session does not accept {frame.Type} frames");
            }
        }
        catch (ProtocolException ex)
        {
            Fault(_connection.Lost($"protocol error on session {_channel}: {ex.Message}"));
        }
    }

    public void Fault(Exception error)
    {
        if (_closed)
            return;
        _fault ??= error;
        _connection.Unregister(_channel);
        _started.TrySetException(error);
        _window.Fault(error);
        _events.Writer.TryComplete(error);
    }

    void IClientChannel.CheckProgress(long nowTimestamp)
    {
        var outstanding = _window.InFlight > 0 || (_completeSent && !_closed);
        if (!outstanding || _fault is not null)
            return;
        var idle = _connection.Time.GetElapsedTime(Volatile.Read(ref _lastProgress), nowTimestamp);
        if (idle > _connection.Options.ProgressTimeout)
            Fault(_connection.Lost($"session {_channel} made no progress for {idle.TotalSeconds:0.0} s with {_window.InFlight} bytes of audio outstanding"));
    }

    private void Abandon(Exception error)
    {
        _connection.Unregister(_channel);
        _fault ??= error;
        _window.Fault(error);
        _events.Writer.TryComplete();
    }

    private void ThrowIfUnusable()
    {
        if (_fault is { } fault)
            throw fault;
        if (_completeSent)
            throw new EngineException("session_completed", "the session was completed: no more audio or finalize is accepted", isPermanent: true);
    }
}
