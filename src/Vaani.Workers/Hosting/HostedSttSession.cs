using System.Threading.Channels;
using Vaani.Engines;
using Vaani.Workers.Protocol;

namespace Vaani.Workers.Hosting;

/// <summary>
/// One STT session inside a worker: an input pump feeds Audio/Finalize/Complete to the engine in
/// order and returns audio credit as the engine consumes it; an event pump forwards the engine's
/// events. SttClosed follows the last event after Complete.
/// </summary>
internal sealed class HostedSttSession : IHostedChannel
{
    // Unbounded in frame count but bounded in bytes: the gateway may only send AudioWindow bytes ahead
    // of our credits, and a peer that ignores that is cut off (see OnFrame).
    private readonly Channel<Frame> _input = Channel.CreateUnbounded<Frame>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly uint _channel;
    private readonly ISpeechToTextEngine _engine;
    private readonly SttSessionOptions _options;
    private readonly WorkerConnectionHandler _connection;
    private readonly ChannelSlot _slot;
    private readonly int _window;
    private readonly CancellationTokenSource _cts;
    private long _queuedBytes;
    private long _uncredited;
    private ITimer? _creditTimer;
    private int _creditTimerArmed;
    private Task _completion = Task.CompletedTask;

    /// <summary>
    /// Longest consumed audio waits before its credit goes back. Credit is batched (one frame per
    /// quarter window or per interval instead of one per audio frame) because every frame costs both
    /// processes a wake-up; the interval keeps the gateway's progress watch (10 s) fed when audio
    /// trickles. At 1 s a real-time stream's credit costs the gateway one wake-up a second, not five.
    /// </summary>
    internal static readonly TimeSpan CreditInterval = TimeSpan.FromMilliseconds(1000);

    public HostedSttSession(uint channel, ISpeechToTextEngine engine, SttSessionOptions options, WorkerConnectionHandler connection, ChannelSlot slot, int window, CancellationToken connectionToken)
    {
        _slot = slot;
        _channel = channel;
        _engine = engine;
        _options = options;
        _connection = connection;
        _window = window;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(connectionToken);
    }

    public Task Completion => _completion;

    public void Start() => _completion = Task.Run(RunAsync);

    public void OnFrame(Frame frame)
    {
        if (frame.Type == FrameType.Audio && Interlocked.Add(ref _queuedBytes, frame.Payload.Length) > _window)
            throw new ProtocolException("window_exceeded", $"channel {_channel} sent {Volatile.Read(ref _queuedBytes)} bytes of audio ahead of credit; the window is {_window} bytes");
        if (frame.Type is FrameType.Audio or FrameType.Finalize or FrameType.Complete)
            _input.Writer.TryWrite(frame);
        else
            throw new ProtocolException("unexpected_frame", $"an STT session does not accept {frame.Type} frames");
    }

    public void Cancel()
    {
        try { _cts.Cancel(); } catch (ObjectDisposedException) { }
    }

    private async Task RunAsync()
    {
        var token = _cts.Token;
        var writer = _connection.Writer;
        ISpeechToTextSession? session = null;
        Frame? last = null;
        try
        {
            session = await _engine.StartSessionAsync(_options, token).ConfigureAwait(false);
            await writer.SendAsync(Frame.Empty(FrameType.SttStarted, _channel), token).ConfigureAwait(false);
            var events = ForwardEventsAsync(session, token);
            var input = FeedInputAsync(session, token);
            // Whichever fails first cancels the other, so neither waits forever on a dead partner.
            var first = await Task.WhenAny(events, input).ConfigureAwait(false);
            if (first.IsFaulted)
                await _cts.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(events, input).ConfigureAwait(false);
            last = Frame.Empty(FrameType.SttClosed, _channel);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Cancelled by the gateway or the connection closed: nothing more is sent.
        }
        catch (Exception ex)
        {
            last = Frames.Error(_channel, ex is AggregateException { InnerException: { } inner } ? inner : ex);
        }
        try
        {
            // Engine session (its decoder), credit timer and slot go back before the last frame:
            // the gateway may start the next session the moment it reads it.
            if (session is not null)
            {
                try { await session.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
            }
            _input.Writer.TryComplete();
            if (_creditTimer is not null) await _creditTimer.DisposeAsync().ConfigureAwait(false);
            _slot.Free();
            if (last is { Type: FrameType.SttClosed } closed)
                await writer.SendAsync(closed, token).ConfigureAwait(false);
            else if (last is { } error)
                writer.TrySend(error);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        finally
        {
            _cts.Dispose();
        }
    }

    private async Task FeedInputAsync(ISpeechToTextSession session, CancellationToken token)
    {
        var reader = _input.Reader;
        while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
        {
            while (reader.TryRead(out var frame))
            {
                switch (frame.Type)
                {
                    case FrameType.Audio:
                        await session.SendAudioAsync(frame.Payload, token).ConfigureAwait(false);
                        Interlocked.Add(ref _queuedBytes, -frame.Payload.Length);
                        if (Interlocked.Add(ref _uncredited, frame.Payload.Length) >= _window / 4)
                            await SendCreditAsync(token).ConfigureAwait(false);
                        else
                            ArmCreditTimer();
                        break;
                    case FrameType.Finalize:
                        await SendCreditAsync(token).ConfigureAwait(false);
                        await session.FinalizeAsync(token).ConfigureAwait(false);
                        break;
                    case FrameType.Complete:
                        await SendCreditAsync(token).ConfigureAwait(false);
                        await session.CompleteAsync(token).ConfigureAwait(false);
                        return;
                }
            }
        }
    }

    private async ValueTask SendCreditAsync(CancellationToken token)
    {
        long bytes = Interlocked.Exchange(ref _uncredited, 0);
        if (bytes > 0)
            await _connection.Writer.SendAsync(Frames.Credit(_channel, (uint)bytes), token).ConfigureAwait(false);
    }

    private void ArmCreditTimer()
    {
        if (Interlocked.Exchange(ref _creditTimerArmed, 1) != 0)
            return;
        _creditTimer ??= TimeProvider.System.CreateTimer(_ => OnCreditTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _creditTimer.Change(CreditInterval, Timeout.InfiniteTimeSpan);
    }

    private void OnCreditTimer()
    {
        Volatile.Write(ref _creditTimerArmed, 0);
        long bytes = Interlocked.Exchange(ref _uncredited, 0);
        if (bytes == 0 || _cts.IsCancellationRequested)
            return;
        // A full write queue means frames are flowing: put the credit back for the next attempt.
        if (!_connection.Writer.TrySend(Frames.Credit(_channel, (uint)bytes)))
        {
            Interlocked.Add(ref _uncredited, bytes);
            ArmCreditTimer();
        }
    }

    private async Task ForwardEventsAsync(ISpeechToTextSession session, CancellationToken token)
    {
        var writer = _connection.Writer;
        await foreach (var e in session.ReadEventsAsync(token).ConfigureAwait(false))
            await writer.SendAsync(Frames.Json(FrameType.SttEvent, _channel, WireSttEvent.From(e)), token).ConfigureAwait(false);
    }
}
