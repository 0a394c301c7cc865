using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Vaani.Engines;
using Vaani.Workers.Net;
using Vaani.Workers.Protocol;

namespace Vaani.Workers.Client;

/// <summary>
/// The gateway's connection to one worker process over its Unix domain socket. Many STT sessions
/// and TTS requests share it, each on its own channel. It pings the worker and watches per-session
/// progress; when the worker dies or stalls, every open session faults with
/// <see cref="EngineException"/> code <c>worker_lost</c> (not permanent), and <see cref="Closed"/> completes.
/// </summary>
public sealed class WorkerConnection : IAsyncDisposable
{
    /// <summary>Code of the error sessions fault with when the worker dies, stalls or the connection breaks.</summary>
    public const string WorkerLostCode = "worker_lost";

    private readonly Socket _socket;
    private readonly UnpolledSocketStream _stream;
    private readonly FrameReader _reader;
    private readonly ConcurrentDictionary<uint, IClientChannel> _channels = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer _heartbeat;
    private readonly Action _onReadable;
    private long _lastReceived;
    private long _nextChannel;
    private long _pingNonce;
    private int _failed;
    private CapacityMessage _capacity;

    private WorkerConnection(string socketPath, Socket socket, UnpolledSocketStream stream, FrameReader reader, HelloMessage hello, WorkerConnectionOptions options)
    {
        SocketPath = socketPath;
        _socket = socket;
        _stream = stream;
        _reader = reader;
        Hello = hello;
        Options = options;
        Time = options.TimeProvider ?? TimeProvider.System;
        _capacity = new CapacityMessage(0, hello.Capacity);
        _lastReceived = Time.GetTimestamp();
        // What runs for the connection's lifetime (writer pump, heartbeat, reader) starts without the
        // creator's execution context: the connection outlives whatever request opened it, must not
        // carry its async-local state, and code resumed with no context to restore skips that step.
        bool suppress = !ExecutionContext.IsFlowSuppressed();
        var flow = suppress ? ExecutionContext.SuppressFlow() : default;
        try
        {
            Writer = new FrameWriter(stream, options.WriteQueueFrames, () => LostReason ?? Lost("the connection is closed"));
            Stt = hello.Stt is null ? null : new RemoteSttEngine(this, hello.Stt);
            Tts = hello.Tts is null ? null : new RemoteTtsEngine(this, hello.Tts);
            // On the loop, beside the reads: a tick then wakes no other thread (EventLoop.CreateTimer).
            var timers = options.TimeProvider is null && options.Loop is { } loop ? new Net.EventLoopTimeProvider(loop) : Time;
            _heartbeat = timers.CreateTimer(static s => ((WorkerConnection)s!).Heartbeat(), this, options.PingInterval, options.PingInterval);
            _ = Writer.Completion.ContinueWith(t => Fail(Lost($"writing to worker {hello.Pid} failed: {t.Exception?.InnerException?.Message}")),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            // Frames are dispatched where they are read, and what they trigger (events to clients) runs
            // inline: on the event loop when the socket waits on one, else on a reader thread of the
            // connection's own, since a read there blocks in poll(2) (UnpolledSocketStream).
            _onReadable = ReadLoop;
            if (stream.ReadsOnLoop)
                ReadLoop();
            else
                new Thread(ReadLoop) { IsBackground = true, Name = $"vaani worker {hello.Pid} reader" }.UnsafeStart();
        }
        finally
        {
            if (suppress) flow.Undo();
        }
    }

    /// <summary>The socket this connection talks to.</summary>
    public string SocketPath { get; }

    /// <summary>What the worker announced: pool, pid, engines, capacity.</summary>
    public HelloMessage Hello { get; }

    /// <summary>The worker's STT engine, or null when its pool has none.</summary>
    public RemoteSttEngine? Stt { get; }

    /// <summary>The worker's TTS engine, or null when its pool has none.</summary>
    public RemoteTtsEngine? Tts { get; }

    /// <summary>The worker's latest load report.</summary>
    public CapacityMessage Capacity => Volatile.Read(ref _capacity);

    /// <summary>True until the worker is lost or the connection is disposed.</summary>
    public bool IsAlive => Volatile.Read(ref _failed) == 0;

    /// <summary>Why the connection ended, once it has.</summary>
    public EngineException? LostReason { get; private set; }

    /// <summary>Completes (never faults) when the connection has ended; see <see cref="LostReason"/>.</summary>
    public Task Closed => _closed.Task;

    internal WorkerConnectionOptions Options { get; }
    internal TimeProvider Time { get; }
    internal FrameWriter Writer { get; }

    /// <summary>
    /// Connects to the worker listening on <paramref name="socketPath"/> and waits for its Hello,
    /// all within <see cref="WorkerConnectionOptions.ConnectTimeout"/>.
    /// </summary>
    /// <exception cref="EngineException"><c>worker_unavailable</c> (not permanent) when nothing answers in time;
    /// <c>worker_incompatible</c> (permanent) for a different protocol version.</exception>
    public static async Task<WorkerConnection> ConnectAsync(string socketPath, WorkerConnectionOptions? options, CancellationToken cancellationToken)
    {
        options ??= new WorkerConnectionOptions();
        var time = options.TimeProvider ?? TimeProvider.System;
        using var deadline = new CancellationTokenSource(options.ConnectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        UnpolledSocketStream? stream = null;
        try
        {
            // Synchronous connect (immediate on a Unix socket): an asynchronous one would register the
            // socket with epoll, which UnpolledSocketStream exists to avoid.
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            stream = new UnpolledSocketStream(socket, options.Loop);
            // The reader keeps what arrived after the Hello for the connection's read loop.
            var reader = new FrameReader();
            // Without a loop the stream's reads block in poll(2), so the Hello is awaited on a thread of
            // its own, never on the caller's (a pool thread, an event loop or a single-threaded context).
            var first = await (stream.ReadsOnLoop
                    ? reader.ReadAsync(stream, linked.Token).AsTask()
                    : Task.Factory.StartNew(() => reader.ReadAsync(stream, linked.Token).AsTask().GetAwaiter().GetResult(),
                        CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ConfigureAwait(false)
                ?? throw new EngineException("worker_unavailable", $"worker at {socketPath} closed the connection before its Hello", isPermanent: false);
            if (first.Type != FrameType.Hello)
                throw new EngineException("worker_incompatible", $"worker at {socketPath} sent {first.Type} instead of Hello", isPermanent: true);
            var hello = WireJson.Deserialize<HelloMessage>(first.Payload, first.Type);
            if (hello.Protocol != HelloMessage.CurrentProtocol)
                throw new EngineException("worker_incompatible", $"worker at {socketPath} speaks protocol {hello.Protocol}; this gateway speaks {HelloMessage.CurrentProtocol}", isPermanent: true);
            return new WorkerConnection(socketPath, socket, stream, reader, hello, options);
        }
        catch (Exception ex) when (ex is not EngineException)
        {
            DisposeSocket(socket, stream);
            cancellationToken.ThrowIfCancellationRequested();
            var why = deadline.IsCancellationRequested ? $"no Hello within {options.ConnectTimeout.TotalSeconds:0.###} s" : ex.Message;
            throw new EngineException("worker_unavailable", $"cannot connect to worker at {socketPath}: {why}", isPermanent: false, ex);
        }
        catch
        {
            DisposeSocket(socket, stream);
            throw;
        }
    }

    /// <summary>Closes a socket that failed to connect, and its stream (which stops its loop watch).</summary>
    private static void DisposeSocket(Socket socket, Stream? stream)
    {
        if (stream is not null) stream.Dispose();
        else socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new EngineException("connection_closed", $"the connection to worker {Hello.Pid} was closed by the gateway", isPermanent: false));
        await _heartbeat.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Declares the worker lost (e.g. its supervisor saw the process exit before the socket reported
    /// it): open sessions fault with <c>worker_lost</c> and the connection closes.
    /// </summary>
    public void Abort(string why) => Fail(Lost(why));

    /// <summary>
    /// Tells the worker to end the session or request on <paramref name="channel"/>. Sent at once
    /// when the write queue has room; otherwise queued in the background with a deadline, so a
    /// busy connection cannot make the worker keep an abandoned session. No-op on a dead connection.
    /// </summary>
    internal void SendCancel(uint channel)
    {
        var cancel = Frame.Empty(FrameType.Cancel, channel);
        if (!IsAlive || Writer.TrySend(cancel))
            return;
        _ = Task.Run(async () =>
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await Writer.SendAsync(cancel, deadline.Token).ConfigureAwait(false); }
            catch (Exception) { /* connection closing or stuck: the worker drops its sessions when it ends */ }
        });
    }

    internal uint NextChannelId()
    {
        while (true)
        {
            // Wraps after 2^32 channels; 0 is the connection itself.
            var id = unchecked((uint)Interlocked.Increment(ref _nextChannel));
            if (id != 0)
                return id;
        }
    }

    /// <summary>Registers a channel; throws the loss reason if the connection already ended.</summary>
    internal void Register(uint channel, IClientChannel handler)
    {
        _channels[channel] = handler;
        if (!IsAlive)
        {
            _channels.TryRemove(channel, out _);
            throw LostReason ?? Lost("the connection is closed");
        }
    }

    internal void Unregister(uint channel) => _channels.TryRemove(channel, out _);

    internal EngineException Lost(string why) =>
        new(WorkerLostCode, $"worker {Hello.Pid} of pool '{Hello.Pool}' was lost: {why}", isPermanent: false);

    /// <summary>
    /// One flat loop: dispatch every whole frame received, receive more without blocking, and only
    /// when the socket is empty wait. On the loop the wait registers this method to run again when
    /// the socket is readable and returns: no async method, no execution context, nothing
    /// allocated per wake-up. Without a loop the wait blocks in poll(2) and the loop goes on. A wait
    /// ends when data arrives or <see cref="Fail"/> disposes the stream, so it needs no cancellation.
    /// </summary>
    private void ReadLoop()
    {
        try
        {
            while (true)
            {
                while (_reader.TryRead(out var frame))
                {
                    Volatile.Write(ref _lastReceived, Time.GetTimestamp());
                    Dispatch(frame);
                }
                int n = _stream.TryReceive(_reader.GetReceiveBuffer().Span);
                if (n > 0)
                {
                    _reader.Advance(n);
                    continue;
                }
                if (n == 0)
                {
                    _reader.EndOfStream();
                    break;
                }
                if (_stream.TryArmReadable(_onReadable))
                    return; // runs again when the socket is readable
            }
            Fail(Lost("the worker closed the connection"));
        }
        catch (ProtocolException ex)
        {
            Fail(Lost($"protocol error: {ex.Message}"));
        }
        catch (Exception ex)
        {
            Fail(Lost($"the connection broke: {ex.Message}"));
        }
    }

    private void Dispatch(Frame frame)
    {
        switch (frame.Type)
        {
            case FrameType.Pong:
                break;
            case FrameType.CapacityReport:
                Volatile.Write(ref _capacity, WireJson.Deserialize<CapacityMessage>(frame.Payload, frame.Type));
                break;
            case FrameType.Error when frame.Channel == 0:
                var error = WireJson.Deserialize<ErrorMessage>(frame.Payload, frame.Type);
                Fail(Lost($"the worker reported a connection error {error.Code}: {error.Message}"));
                break;
            case FrameType.Hello or FrameType.Ping or FrameType.StartStt or FrameType.StartTts or FrameType.Audio
                or FrameType.Finalize or FrameType.Complete or FrameType.Cancel:
                throw new ProtocolException("unexpected_frame", $"a gateway does not accept {frame.Type} frames");
            default:
                // Frames for a channel the gateway already abandoned are expected races.
                if (_channels.TryGetValue(frame.Channel, out var channel))
                    channel.OnFrame(frame);
                break;
        }
    }

    private void Heartbeat()
    {
        if (!IsAlive)
            return;
        var now = Time.GetTimestamp();
        var silent = Time.GetElapsedTime(Volatile.Read(ref _lastReceived), now);
        if (silent > Options.LivenessTimeout)
        {
            Fail(Lost($"no frame or pong for {silent.TotalSeconds:0.0} s (liveness timeout {Options.LivenessTimeout.TotalSeconds:0.0} s); the worker is stalled"));
            return;
        }
        // A frame received within the last interval shows the worker alive: a busy connection is
        // not pinged (the ping and its pong would wake both processes for nothing).
        if (silent >= Options.PingInterval)
        {
            var nonce = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(nonce, Interlocked.Increment(ref _pingNonce));
            // Best effort: a full queue means frames are flowing anyway, and the next tick pings again.
            Writer.TrySend(new Frame(FrameType.Ping, 0, nonce));
        }
        foreach (var channel in _channels.Values)
            channel.CheckProgress(now);
    }

    private void Fail(EngineException reason)
    {
        if (Interlocked.Exchange(ref _failed, 1) != 0)
            return;
        LostReason = reason;
        foreach (var (id, channel) in _channels)
        {
            _channels.TryRemove(id, out _);
            channel.Fault(reason);
        }
        Writer.Complete();
        _heartbeat.Dispose();
        // Closing the socket unblocks the reader; the writer fails fast on it too.
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _stream.Dispose(); // closes the socket, and ends a read waiting on an event loop
        _closed.TrySetResult();
    }
}
