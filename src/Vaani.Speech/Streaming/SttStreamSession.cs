using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using Vaani.Audio;
using Vaani.Audio.Conversion;
using Vaani.Engines;

namespace Vaani.Speech.Streaming;

/// <summary>
/// The protocol-independent core of one streaming recognition session, shared by every API
/// adapter (native, Deepgram-compatible, ...).
/// <para>
/// Audio arrives in the client's format, is converted to the engine's native format and appended to
/// a bounded <see cref="ReplayBuffer"/> holding everything since the last final result. The replay
/// buffer is the queue towards the engine: the engine session is handed whatever part of it it has
/// not heard yet. When the engine session fails with a retryable error (its worker died or
/// stalled), the session is re-placed through the placement callback and hears the whole buffer
/// again, every byte once; event times are shifted by the replay start so the client sees every
/// word once with monotonic timestamps.
/// </para>
/// <para>
/// Two paths lead there. While nothing is queued and the engine session can take audio without
/// waiting (<see cref="ISpeechToTextSession.TrySendAudio"/>), <see cref="SendAudioAsync"/> does the
/// whole job in the caller's call: convert, append, send — no copy, no hand-off. Everything else
/// (finalize, completion, a full credit window or connection, re-placement) goes through a bounded
/// command queue (which backpressures a fast client) to one loop task, which owns the engine until
/// the queue is empty again. Events are read from a bounded channel.
/// </para>
/// </summary>
public sealed class SttStreamSession : IAsyncDisposable
{
    /// <summary>Largest piece of buffered audio handed to the engine in one call on the queued path.</summary>
    private const int SendChunkBytes = 16 * 1024;

    private readonly Func<CancellationToken, ValueTask<ISpeechToTextSession>> _place;
    private readonly AudioFormat _engineFormat;
    private readonly SttStreamLimits _limits;
    private readonly TimeProvider _time;
    private readonly AudioConverter? _converter;
    private readonly Channel<Command> _commands;
    private readonly Channel<SttEvent> _events;
    private readonly ReplayBuffer _replay;
    private readonly CancellationTokenSource _cts = new();
    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _converted = new(); // grows to the frame size on first use
    private ArrivalLog _arrivals; // a mutable struct: never copied
    private readonly List<TimeSpan> _finalLatencies = [];
    private Task? _loop;

    // Owned by whoever may touch the engine: the caller of SendAudioAsync while no command is
    // pending, the loop otherwise. The single producer makes that hand-over safe: only it queues
    // commands, and it takes the direct path only after the loop finished the last one.
    private int _pendingCommands;
    private ISpeechToTextSession? _engine;
    private Task? _pump;
    private int _generation;
    private long _generationStart;     // timeline byte position where the current engine session starts
    private long _enginePosition;      // timeline byte position up to which the current engine session has been handed audio
    private long _sentPosition;        // timeline byte position after the last byte received
    private volatile Exception? _engineFault;
    private bool _finalizePending;

    // Stats.
    private readonly long _createdAt;
    private long _firstAudioAt = -1;
    private TimeSpan _admissionWait;
    private TimeSpan? _firstPartial;
    private long _engineTicks;
    private int _replacements;
    private int _finals;

    /// <param name="place">Starts an engine session (again, after a retryable failure).</param>
    /// <param name="clientFormat">The format the client sends.</param>
    /// <param name="engineFormat">The engine's native format.</param>
    /// <param name="limits">Buffer bounds; null = defaults.</param>
    /// <param name="time">Clock for latency figures; null = system.</param>
    /// <param name="foldNarrowband">Fold 8 kHz client audio into the 16 kHz engine format instead of
    /// resampling it; pass the engine's <see cref="EngineCapabilities.FoldNarrowbandInput"/>.</param>
    public SttStreamSession(
        Func<CancellationToken, ValueTask<ISpeechToTextSession>> place,
        AudioFormat clientFormat,
        AudioFormat engineFormat,
        SttStreamLimits? limits = null,
        TimeProvider? time = null,
        bool foldNarrowband = false)
    {
        if (!clientFormat.IsFixedSize)
            throw new AudioFormatException($"{clientFormat} must be decoded before it reaches the session");
        _place = place;
        ClientFormat = clientFormat;
        _engineFormat = engineFormat;
        _limits = limits ?? new SttStreamLimits();
        _time = time ?? TimeProvider.System;
        _converter = clientFormat == engineFormat ? null : new AudioConverter(clientFormat, engineFormat, foldNarrowband);
        // Synchronous continuations: the loop (and the adapter's event reader) continue on the thread
        // that queued the command (event) instead of waking another thread. Both readers only do
        // short, non-blocking work before their next await.
        _commands = Channel.CreateBounded<Command>(new BoundedChannelOptions(_limits.CommandBufferCapacity) { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
        _events = Channel.CreateBounded<SttEvent>(new BoundedChannelOptions(_limits.EventBufferCapacity) { SingleWriter = false, SingleReader = true, AllowSynchronousContinuations = true });
        _replay = new ReplayBuffer((int)Math.Min(int.MaxValue, engineFormat.BytesPerSecond * _limits.MaxReplay.TotalSeconds));
        _createdAt = _time.GetTimestamp();
    }

    /// <summary>The format the client sends.</summary>
    public AudioFormat ClientFormat { get; }

    /// <summary>Events with times relative to the start of the client's audio. Completes after <see cref="CompleteAsync"/> (or on failure, with the error).</summary>
    public ChannelReader<SttEvent> Events => _events.Reader;

    /// <summary>Places the session on an engine. Throws <see cref="EngineException"/> when no engine can take it.</summary>
    public async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
        await PlaceAsync(linked.Token).ConfigureAwait(false);
        _admissionWait = _time.GetElapsedTime(_createdAt);
        // Started here, not on a pool thread: it suspends at once on the empty command queue.
        _loop = RunLoopAsync();
    }

    /// <summary>
    /// Takes client audio; the caller may reuse its buffer as soon as this returns. Completes at once
    /// when the audio went straight to the engine or into the command queue; waits while the queue
    /// is full (backpressure).
    /// </summary>
    public ValueTask SendAudioAsync(ReadOnlyMemory<byte> audio, CancellationToken cancellationToken) =>
        SendAudioAsync(audio, _time.GetTimestamp(), cancellationToken);

    /// <summary>
    /// As <see cref="SendAudioAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, for audio that
    /// arrived at <paramref name="arrivedAt"/>, a timestamp of the session's time provider the
    /// caller already took (the latency figures count from it).
    /// </summary>
    public ValueTask SendAudioAsync(ReadOnlyMemory<byte> audio, long arrivedAt, CancellationToken cancellationToken)
    {
        if (_firstAudioAt < 0) _firstAudioAt = arrivedAt;
        if (Volatile.Read(ref _pendingCommands) != 0 || _engineFault is not null || _engine is null)
            return EnqueueAsync(new Command(CommandKind.Audio, audio.ToArray(), arrivedAt), cancellationToken);

        // Direct path: the loop is idle, so this call owns the engine until it returns.
        var engineAudio = audio.Span;
        if (_converter is not null)
        {
            _converted.Clear();
            _converter.Convert(engineAudio, _converted);
            engineAudio = _converted.WrittenSpan;
        }
        if (!TryAppend(engineAudio, arrivedAt))
            return EnqueueAsync(new Command(CommandKind.EngineAudio, engineAudio.ToArray(), arrivedAt), cancellationToken); // converted already
        if (TrySendToEngine(engineAudio))
            return ValueTask.CompletedTask;
        // The engine cannot take it now (or it failed): the audio is in the replay buffer, so the
        // loop only has to hand the engine what it has not heard yet (after re-placing it if need be).
        return EnqueueAsync(new Command(CommandKind.Flush, null, 0), cancellationToken);
    }

    /// <summary>Asks for a final result covering all audio sent so far.</summary>
    public ValueTask FinalizeAsync(CancellationToken cancellationToken) =>
        EnqueueAsync(new Command(CommandKind.Finalize, null, 0), cancellationToken);

    /// <summary>Ends input. Remaining audio is flushed into finals, then <see cref="Events"/> completes.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        await EnqueueAsync(new Command(CommandKind.Complete, null, _time.GetTimestamp()), cancellationToken).ConfigureAwait(false);
        _commands.Writer.TryComplete();
    }

    /// <summary>Total seconds of client audio received so far.</summary>
    public double AudioSeconds => _engineFormat.DurationOf(_sentPosition).TotalSeconds;

    public SttStreamStats GetStats()
    {
        lock (_gate)
        {
            var sorted = _finalLatencies.Order().ToArray();
            return new SttStreamStats
            {
                AudioSeconds = AudioSeconds,
                AdmissionWait = _admissionWait,
                EngineTime = TimeSpan.FromTicks(Interlocked.Read(ref _engineTicks)),
                TimeToFirstPartial = _firstPartial,
                FinalizationLatencyP50 = sorted.Length == 0 ? null : sorted[sorted.Length / 2],
                FinalizationLatencyMax = sorted.Length == 0 ? null : sorted[^1],
                Replacements = _replacements,
                Finals = _finals,
            };
        }
    }

    private ValueTask EnqueueAsync(Command command, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _pendingCommands);
        var write = _commands.Writer.WriteAsync(command, cancellationToken);
        return write.IsCompletedSuccessfully ? ValueTask.CompletedTask : AwaitEnqueueAsync(write);
    }

    private async ValueTask AwaitEnqueueAsync(ValueTask write)
    {
        try { await write.ConfigureAwait(false); }
        catch { Interlocked.Decrement(ref _pendingCommands); throw; }
    }

    /// <summary>Appends engine-format audio to the replay buffer if it fits; the direct path's step.</summary>
    private bool TryAppend(ReadOnlySpan<byte> audio, long arrivedAt)
    {
        lock (_gate)
        {
            if (audio.Length > _replay.Free) return false;
            AppendLocked(audio, arrivedAt);
        }
        return true;
    }

    private void AppendLocked(ReadOnlySpan<byte> audio, long arrivedAt)
    {
        _replay.Append(audio);
        _arrivals.Record(_replay.EndPosition, arrivedAt);
        _sentPosition = _replay.EndPosition;
    }

    /// <summary>
    /// Hands the engine <paramref name="audio"/>, the newest bytes of the replay buffer, if it takes
    /// them without waiting. False when it did not (they stay unheard, for the loop to send), also
    /// when it failed: the failure is then recorded for the loop to re-place the session.
    /// </summary>
    private bool TrySendToEngine(ReadOnlySpan<byte> audio)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            if (!_engine!.TrySendAudio(audio)) return false;
        }
        catch (EngineException ex) when (!ex.IsPermanent)
        {
            _engineFault = ex;
            return false;
        }
        _enginePosition += audio.Length;
        Interlocked.Add(ref _engineTicks, Stopwatch.GetElapsedTime(start).Ticks);
        return true;
    }

    private async Task RunLoopAsync()
    {
        var ct = _cts.Token;
        try
        {
            await foreach (var command in _commands.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                switch (command.Kind)
                {
                    case CommandKind.Audio:
                        if (_converter is null)
                        {
                            await AppendAndSendAsync(command.Audio, command.ArrivedAt, ct).ConfigureAwait(false);
                            break;
                        }
                        _converted.Clear();
                        _converter.Convert(command.Audio, _converted);
                        await AppendAndSendAsync(_converted.WrittenMemory, command.ArrivedAt, ct).ConfigureAwait(false);
                        break;
                    case CommandKind.EngineAudio:
                        await AppendAndSendAsync(command.Audio, command.ArrivedAt, ct).ConfigureAwait(false);
                        break;
                    case CommandKind.Flush:
                        await CatchUpEngineAsync(ct).ConfigureAwait(false);
                        break;
                    case CommandKind.Finalize:
                        await FinalizeEngineAsync(ct).ConfigureAwait(false);
                        _finalizePending = true;
                        break;
                    case CommandKind.Complete:
                        if (_converter is not null)
                        {
                            _converted.Clear();
                            _converter.Flush(_converted);
                            await AppendAndSendAsync(_converted.WrittenMemory, command.ArrivedAt, ct).ConfigureAwait(false);
                        }
                        await CompleteEngineAsync(ct).ConfigureAwait(false);
                        _events.Writer.TryComplete();
                        return;
                }
                // Only now may the producer use the direct path again: the engine is caught up.
                Interlocked.Decrement(ref _pendingCommands);
            }
            // Commands ended without Complete: the adapter went away.
            _events.Writer.TryComplete();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _events.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            _events.Writer.TryComplete(ex);
        }
    }

    /// <summary>Appends audio to the replay buffer, waiting for room when it is full, and hands the engine everything it has not heard.</summary>
    private async Task AppendAndSendAsync(ReadOnlyMemory<byte> audio, long arrivedAt, CancellationToken ct)
    {
        while (!audio.IsEmpty)
        {
            int free;
            lock (_gate) free = _replay.Free;
            if (free == 0)
            {
                // Replay window full without a final: force one so the buffer can be trimmed.
                await FinalizeEngineAsync(ct).ConfigureAwait(false);
                await WaitForReplaySpaceAsync(ct).ConfigureAwait(false);
                continue;
            }
            var chunk = audio[..Math.Min(free, audio.Length)];
            lock (_gate) AppendLocked(chunk.Span, arrivedAt);
            await CatchUpEngineAsync(ct).ConfigureAwait(false);
            audio = audio[chunk.Length..];
        }
    }

    /// <summary>
    /// Brings the engine up to date with the replay buffer: re-places the session first when the
    /// engine failed, then sends every byte it has not heard (after a re-placement: all of them, and
    /// a pending finalize). Nothing is sent twice to one engine session.
    /// </summary>
    private async Task CatchUpEngineAsync(CancellationToken ct)
    {
        byte[]? scratch = null;
        try
        {
            while (true)
            {
                bool replaced = false;
                if (_engineFault is not null)
                {
                    await ReplaceEngineAsync(ct).ConfigureAwait(false);
                    replaced = true;
                }
                try
                {
                    while (true)
                    {
                        int n;
                        lock (_gate)
                        {
                            // A final may already cover bytes handed over an instant ago (the
                            // buffer was trimmed past them): the engine has heard those.
                            _enginePosition = Math.Max(_enginePosition, _replay.StartPosition);
                            if (_enginePosition >= _replay.EndPosition) break;
                            scratch ??= ArrayPool<byte>.Shared.Rent(SendChunkBytes);
                            n = _replay.CopyFrom(_enginePosition, scratch.AsSpan(0, SendChunkBytes));
                        }
                        var start = Stopwatch.GetTimestamp();
                        await _engine!.SendAudioAsync(scratch.AsMemory(0, n), ct).ConfigureAwait(false);
                        Interlocked.Add(ref _engineTicks, Stopwatch.GetElapsedTime(start).Ticks);
                        _enginePosition += n;
                    }
                    if (replaced && _finalizePending)
                        await _engine!.FinalizeAsync(ct).ConfigureAwait(false);
                    if (_engineFault is null) return;
                    // The event stream reported a loss meanwhile: go round again.
                }
                catch (EngineException ex) when (!ex.IsPermanent && !ct.IsCancellationRequested)
                {
                    _engineFault = ex;
                }
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Asks the engine for a final; after a failure the re-placed engine is caught up and finalised instead.</summary>
    private async Task FinalizeEngineAsync(CancellationToken ct)
    {
        await CatchUpEngineAsync(ct).ConfigureAwait(false);
        try
        {
            var start = Stopwatch.GetTimestamp();
            await _engine!.FinalizeAsync(ct).ConfigureAwait(false);
            Interlocked.Add(ref _engineTicks, Stopwatch.GetElapsedTime(start).Ticks);
        }
        catch (EngineException ex) when (!ex.IsPermanent && !ct.IsCancellationRequested)
        {
            _engineFault = ex;
            _finalizePending = true; // so the replacement is finalised once it has heard the replay
            await CatchUpEngineAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task WaitForReplaySpaceAsync(CancellationToken ct)
    {
        var deadline = _time.GetTimestamp() + (long)(_limits.PlacementTimeout.TotalSeconds * _time.TimestampFrequency);
        while (true)
        {
            lock (_gate) if (_replay.Free > 0) return;
            if (_engineFault is not null) { await CatchUpEngineAsync(ct).ConfigureAwait(false); continue; }
            if (_time.GetTimestamp() > deadline)
                throw new EngineException("engine_stalled", "the engine produced no final result within the replay window", isPermanent: false);
            await Task.Delay(TimeSpan.FromMilliseconds(10), _time, ct).ConfigureAwait(false);
        }
    }

    private async Task CompleteEngineAsync(CancellationToken ct)
    {
        while (true)
        {
            await CatchUpEngineAsync(ct).ConfigureAwait(false);
            try
            {
                var start = Stopwatch.GetTimestamp();
                await _engine!.CompleteAsync(ct).ConfigureAwait(false);
                Interlocked.Add(ref _engineTicks, Stopwatch.GetElapsedTime(start).Ticks);
                await _pump!.ConfigureAwait(false);
                if (_engineFault is not null) continue;
                return;
            }
            catch (EngineException ex) when (!ex.IsPermanent && !ct.IsCancellationRequested)
            {
                _engineFault = ex;
            }
        }
    }

    /// <summary>Re-places the session on a healthy engine; the caller then replays the buffer to it.</summary>
    private async Task ReplaceEngineAsync(CancellationToken ct)
    {
        var fault = _engineFault!;
        if (_replacements >= _limits.MaxReplacements)
            throw new EngineException("worker_lost", $"the session was re-placed {_replacements} times and failed again: {fault.Message}", isPermanent: false, fault);
        _replacements++;
        var old = _engine;
        _engine = null;
        if (old is not null) _ = DisposeQuietlyAsync(old);

        lock (_gate)
        {
            _generation++;          // events still coming from the old session are ignored from here on
            _generationStart = _replay.StartPosition;
            _enginePosition = _replay.StartPosition;
        }
        _engineFault = null;
        await PlaceAsync(ct).ConfigureAwait(false);
    }

    private async Task PlaceAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_limits.PlacementTimeout);
        try
        {
            _engine = await _place(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new EngineException("placement_timeout", $"no worker could take the session within {_limits.PlacementTimeout.TotalSeconds:0.#} s", isPermanent: false);
        }
        int generation;
        lock (_gate) generation = _generation;
        var engine = _engine;
        // Events straight from the engine's thread when it can deliver them that way (a remote
        // session: its connection's reader), else a pump started here: it runs until the engine
        // has no event ready, then suspends.
        var sink = new EngineEvents(this, generation);
        _pump = engine.TrySetEventSink(sink) ? sink.Start() : PumpAsync(engine, generation);
    }

    private async Task PumpAsync(ISpeechToTextSession engine, int generation)
    {
        try
        {
            await foreach (var e in engine.ReadEventsAsync(_cts.Token).ConfigureAwait(false))
            {
                if (!TryAccept(e, generation, out var shifted)) return;
                await _events.Writer.WriteAsync(shifted, _cts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            EngineEnded(ex, generation);
        }
    }

    /// <summary>Books an engine event (shifted onto the client's timeline); false when it is from a replaced engine session.</summary>
    private bool TryAccept(SttEvent e, int generation, out SttEvent shifted)
    {
        lock (_gate)
        {
            shifted = e;
            if (generation != _generation) return false;
            shifted = Shift(e);
            if (shifted is SttFinal final)
            {
                _finals++;
                _finalizePending = false;
                long end = PositionOf(final.End);
                RecordFinalLatency(end);
                _replay.TrimTo(Math.Min(end, _replay.EndPosition));
            }
            else if (shifted is SttPartial && _firstPartial is null && _firstAudioAt >= 0)
            {
                _firstPartial = _time.GetElapsedTime(_firstAudioAt);
            }
            return true;
        }
    }

    /// <summary>
    /// An engine session's events failed: a retryable failure is left for the loop to re-place the
    /// session; anything else ends this session's events with it.
    /// </summary>
    private void EngineEnded(Exception error, int generation)
    {
        switch (error)
        {
            case EngineException { IsPermanent: false } ex:
                lock (_gate) if (generation == _generation) _engineFault = ex;
                break;
            case OperationCanceledException when _cts.IsCancellationRequested:
                break;
            default:
                _events.Writer.TryComplete(error);
                _cts.Cancel();
                break;
        }
    }

    /// <summary>
    /// Takes one engine session's events on the engine's thread (<see cref="ISpeechToTextSession.TrySetEventSink"/>):
    /// what the pump does, without a queue or an <c>async</c> method in between. An event the
    /// client's queue cannot take fails the engine session (<c>event_overflow</c>), as a pump that
    /// fell behind would. The task <see cref="Start"/> returns completes when the stream ends or
    /// this session is disposed: it stands for the pump.
    /// </summary>
    private sealed class EngineEvents : ISttEventSink
    {
        private readonly SttStreamSession _owner;
        private readonly int _generation;
        // Asynchronous continuations: the stream may end on the engine's thread, inside its own
        // bookkeeping, and what awaits it (completing the session) must not run in there.
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private CancellationTokenRegistration _disposal;
        private int _done;

        public EngineEvents(SttStreamSession owner, int generation)
        {
            _owner = owner;
            _generation = generation;
        }

        /// <summary>Once the engine took this sink: ends it on disposal too. Returns the task that completes when it ends.</summary>
        public Task Start()
        {
            _disposal = _owner._cts.Token.UnsafeRegister(static s => ((EngineEvents)s!).End(), this);
            return _ended.Task;
        }

        public bool OnEvent(SttEvent e)
        {
            if (Volatile.Read(ref _done) != 0 || !_owner.TryAccept(e, _generation, out var shifted))
                return true; // ended, or from a replaced engine session: dropped
            if (_owner._events.Writer.TryWrite(shifted))
                return true;
            // Full, or completed (the session is ending): only the first is an overflow.
            return _owner._events.Reader.Completion.IsCompleted || _owner._cts.IsCancellationRequested;
        }

        public void OnCompleted(Exception? error)
        {
            if (error is not null && Volatile.Read(ref _done) == 0)
                _owner.EngineEnded(error, _generation);
            End();
        }

        private void End()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) return;
            _disposal.Unregister();
            _ended.TrySetResult();
        }
    }

    private void RecordFinalLatency(long endPosition)
    {
        // The delay from the moment the audio that ends the utterance arrived to now.
        if (!_arrivals.TryFind(endPosition, out var arrivedAt)) return;
        _finalLatencies.Add(_time.GetElapsedTime(arrivedAt));
        if (_finalLatencies.Count > 1024) _finalLatencies.RemoveAt(0);
    }

    private TimeSpan Offset => _engineFormat.DurationOf(_generationStart);

    private long PositionOf(TimeSpan t)
    {
        long frames = (long)Math.Round(t.TotalSeconds * _engineFormat.SampleRate);
        return frames * _engineFormat.BytesPerFrame;
    }

    private SttEvent Shift(SttEvent e)
    {
        var o = Offset;
        if (o == TimeSpan.Zero) return e;
        return e switch
        {
            SttPartial p => p with { Start = p.Start + o, End = p.End + o },
            SttFinal f => f with
            {
                Start = f.Start + o,
                End = f.End + o,
                Words = f.Words.Select(w => w with { Start = w.Start + o, End = w.End + o }).ToArray(),
            },
            SttSpeechStarted s => s with { Timestamp = s.Timestamp + o },
            SttUtteranceEnd u => u with { LastWordEnd = u.LastWordEnd + o },
            _ => e,
        };
    }

    private static async Task DisposeQuietlyAsync(ISpeechToTextSession session)
    {
        try { await session.DisposeAsync().ConfigureAwait(false); }
        catch (Exception) { /* the session is already broken; its worker is being replaced */ }
    }

    public async ValueTask DisposeAsync()
    {
        _commands.Writer.TryComplete();
        await _cts.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) { try { await _loop.ConfigureAwait(false); } catch (Exception) { } }
        if (_pump is not null) { try { await _pump.ConfigureAwait(false); } catch (Exception) { } }
        if (_engine is not null) await DisposeQuietlyAsync(_engine).ConfigureAwait(false);
        lock (_gate) _replay.Dispose();
        _cts.Dispose();
    }

    private enum CommandKind
    {
        /// <summary>Client audio, in the client's format.</summary>
        Audio,
        /// <summary>Audio converted already, not yet in the replay buffer.</summary>
        EngineAudio,
        /// <summary>Audio is in the replay buffer that the engine has not heard.</summary>
        Flush,
        Finalize,
        Complete,
    }

    /// <summary>A command; audio carries the time it arrived (a timestamp of the session's clock), which its final's latency counts from.</summary>
    private readonly record struct Command(CommandKind Kind, byte[]? Audio, long ArrivedAt);
}
