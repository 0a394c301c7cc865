using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace Vaani.Workers.Net;

/// <summary>
/// A socket registered with an <see cref="EventLoop"/>. Its owner reads with <see cref="Receive"/>
/// and writes with non-blocking sends on <see cref="Socket"/>; when a call would block it awaits
/// <see cref="WaitReadableAsync"/> or <see cref="WaitWritableAsync"/>: at most one wait per direction
/// at a time. A wait completes on the loop's thread when the socket became ready since the owner's
/// last wait began, so an edge that arrives between a call that would block and the wait is never
/// lost; it may complete without new data (the owner's next call says so). Waits take no
/// cancellation token: to end one, shut the socket down (the wait completes and the next call
/// reports the end) or call <see cref="WakeReader"/>.
/// </summary>
/// <remarks>
/// On an io_uring loop (<see cref="EventLoopBackend.IoUring"/>) the kernel receives for the owner:
/// one multishot receive per socket fills the loop's shared buffers, and <see cref="Receive"/> copies
/// from those without a system call. Once <see cref="ReceiveQueueLimit"/> bytes wait here for the
/// owner, the multishot receive is cancelled (what the kernel took in the same batch, up to 32
/// buffers, still arrives), the rest waits in the kernel's socket buffer, so TCP flow control holds a
/// fast sender back, and receiving resumes once the owner has read everything queued. Owners
/// dispose the watch before they close the socket.
/// </remarks>
public sealed class SocketWatch : IDisposable
{
    /// <summary>Received bytes held per socket on an io_uring loop before receiving pauses.</summary>
    public const int ReceiveQueueLimit = 32 * 1024;

    private const int Enobufs = 105, Ecanceled = 125;

    private readonly EventLoop _loop;
    private readonly Readiness _read = new();
    private readonly Readiness _write = new();
    private int _disposed;

    // io_uring receive state, guarded by _rxGate: chunks of the loop's buffers in arrival order.
    private readonly Lock _rxGate = new();
    private readonly Queue<Chunk> _rx = new();
    private int _rxQueued;
    private int _rxHeadRead;     // bytes of the first chunk already read
    private bool _rxArmed;       // a multishot receive is in flight
    private bool _rxPausing;     // its cancellation was asked for (the queue is full)
    private bool _rxEnded;       // the peer finished sending
    private int _rxErrno;        // the receive failed with this error
    private bool _pollArmed;     // a one-shot wait for writability is in flight

    internal SocketWatch(EventLoop loop, Socket socket, ulong id)
    {
        _loop = loop;
        Socket = socket;
        Id = id;
        Descriptor = (int)socket.Handle;
    }

    internal ulong Id { get; }

    /// <summary>The socket's descriptor, taken when the watch began.</summary>
    internal int Descriptor { get; }

    /// <summary>Received bytes waiting here for the owner (io_uring).</summary>
    internal int QueuedBytes
    {
        get { lock (_rxGate) return _rxQueued; }
    }

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The watched socket.</summary>
    public Socket Socket { get; }

    /// <summary>The loop this socket is watched by.</summary>
    public EventLoop Loop => _loop;

    /// <summary>
    /// One non-blocking receive, as <see cref="Socket.Receive(Span{byte}, SocketFlags, out SocketError)"/>:
    /// the bytes read and <see cref="SocketError.Success"/> (0 bytes: the peer finished sending),
    /// <see cref="SocketError.WouldBlock"/> when nothing is there now, or the error. Any thread; one
    /// reader at a time.
    /// </summary>
    public int Receive(Span<byte> buffer, out SocketError status)
    {
        var uring = _loop.Uring;
        if (uring is null || IsDisposed) return Socket.Receive(buffer, SocketFlags.None, out status);
        bool arm = false;
        int copied = 0;
        lock (_rxGate)
        {
            while (copied < buffer.Length && _rx.TryPeek(out var chunk))
            {
                int n = Math.Min(buffer.Length - copied, chunk.Length - _rxHeadRead);
                uring.Buffer(chunk.Id, _rxHeadRead, n).CopyTo(buffer[copied..]);
                copied += n;
                _rxHeadRead += n;
                if (_rxHeadRead == chunk.Length)
                {
                    _rx.Dequeue();
                    _rxHeadRead = 0;
                    uring.ReturnBuffer(chunk.Id);
                }
            }
            _rxQueued -= copied;
            if (copied > 0 || buffer.IsEmpty)
            {
                status = SocketError.Success;
                arm = _rxQueued == 0 && ShouldArm();
            }
            else if (_rxErrno != 0)
            {
                status = ToSocketError(_rxErrno);
            }
            else if (_rxEnded)
            {
                status = SocketError.Success;
            }
            else
            {
                status = SocketError.WouldBlock;
                arm = ShouldArm();
            }
            if (arm) _rxArmed = true;
        }
        if (arm) _loop.Submit(this, LoopOp.Receive);
        return copied;
    }

    private bool ShouldArm() => !_rxArmed && !_rxEnded && _rxErrno == 0 && !IsDisposed;

    /// <summary>Completes once the socket may have something to read (or has ended).</summary>
    public ValueTask WaitReadableAsync() => _read.WaitAsync();

    /// <summary>Completes once the socket may take more bytes (or has ended). Only for sockets watched for writes.</summary>
    public ValueTask WaitWritableAsync()
    {
        var wait = _write.WaitAsync();
        if (!wait.IsCompleted && _loop.Uring is not null)
        {
            bool arm;
            lock (_rxGate)
            {
                arm = !_pollArmed && !IsDisposed;
                _pollArmed |= arm;
            }
            if (arm) _loop.Submit(this, LoopOp.PollWritable);
        }
        return wait;
    }

    /// <summary>Completes the pending read wait (or the next one) without an event, so its owner looks at its own state again.</summary>
    public void WakeReader() => _read.Signal();

    /// <summary>An epoll event for this socket (loop thread).</summary>
    internal void Signal(bool readable, bool writable)
    {
        if (readable) _read.Signal();
        if (writable) _write.Signal();
    }

    /// <summary>Starts receiving on an io_uring loop (the watch is new).</summary>
    internal void StartReceiving()
    {
        lock (_rxGate) _rxArmed = true;
        _loop.Submit(this, LoopOp.Receive);
    }

    /// <summary>
    /// A completion of this socket's multishot receive (loop thread): bytes in buffer
    /// <paramref name="bufferId"/>, the end, or an error. Returns true when the receive must be
    /// armed again because it stopped for lack of buffers.
    /// </summary>
    internal bool OnReceived(IoUring uring, int result, bool more, ushort bufferId, bool hasBuffer, out bool pause, out bool rearm)
    {
        bool starved = false;
        pause = rearm = false;
        lock (_rxGate)
        {
            if (IsDisposed)
            {
                if (hasBuffer) uring.ReturnBuffer(bufferId);
                if (!more) _rxArmed = false;
                return false;
            }
            if (result > 0 && hasBuffer)
            {
                _rx.Enqueue(new Chunk(bufferId, result));
                _rxQueued += result;
            }
            else if (result == 0) _rxEnded = true;
            else if (result == -Enobufs) starved = true;
            else if (result != -Ecanceled && result < 0) _rxErrno = -result;
            if (!more)
            {
                _rxArmed = false;
                _rxPausing = false;
                // Stopped for another reason (out of buffers, an overflowing completion queue): go on
                // unless the queue is full; a full queue re-arms when its owner has read it all.
                if (!starved && _rxQueued < ReceiveQueueLimit && ShouldArm())
                {
                    _rxArmed = true;
                    rearm = true;
                }
            }
            else if (_rxQueued >= ReceiveQueueLimit && !_rxPausing)
            {
                _rxPausing = true;
                pause = true;
            }
        }
        if (result != -Ecanceled && !starved) _read.Signal();
        return starved;
    }

    /// <summary>Re-arms a receive that ran out of buffers (loop thread); false when it needs none now.</summary>
    internal bool RearmStarved()
    {
        lock (_rxGate)
        {
            if (!ShouldArm() || _rxQueued >= ReceiveQueueLimit) return false;
            _rxArmed = true;
            return true;
        }
    }

    /// <summary>The one-shot writability wait completed (loop thread).</summary>
    internal void OnWritable()
    {
        lock (_rxGate) _pollArmed = false;
        _write.Signal();
    }

    /// <summary>Stops watching (the socket stays open); pending waits complete.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var uring = _loop.Uring;
        if (uring is not null)
        {
            bool cancel;
            lock (_rxGate)
            {
                while (_rx.TryDequeue(out var chunk)) uring.ReturnBuffer(chunk.Id);
                _rxQueued = _rxHeadRead = 0;
                cancel = _rxArmed || _pollArmed;
            }
            // The kernel holds the socket while a receive is in flight: cancel it, so closing the socket closes it.
            if (cancel) _loop.Submit(this, LoopOp.Cancel);
        }
        _loop.Forget(this);
        _read.Close();
        _write.Close();
    }

    private static SocketError ToSocketError(int errno) => errno switch
    {
        104 => SocketError.ConnectionReset,
        103 => SocketError.ConnectionAborted,
        110 => SocketError.TimedOut,
        107 => SocketError.NotConnected,
        32 => SocketError.Shutdown,
        113 => SocketError.HostUnreachable,
        101 => SocketError.NetworkUnreachable,
        _ => SocketError.SocketError,
    };

    /// <summary>One completed receive: its buffer and the bytes in it.</summary>
    private readonly record struct Chunk(ushort Id, int Length);

    /// <summary>One direction's readiness: a single reusable wait, never lost between a failed call and the wait.</summary>
    private sealed class Readiness : IValueTaskSource
    {
        private const int Idle = 0, Signalled = 1, Waiting = 2, Closed = 3;
        private int _state;
        private ManualResetValueTaskSourceCore<bool> _core; // continuations run where the wait completes: the loop

        public ValueTask WaitAsync()
        {
            if (Interlocked.CompareExchange(ref _state, Idle, Signalled) is Signalled or Closed) return ValueTask.CompletedTask;
            _core.Reset();
            if (Interlocked.CompareExchange(ref _state, Waiting, Idle) != Idle)
            {
                // Signalled (or closed) between the two steps.
                Interlocked.CompareExchange(ref _state, Idle, Signalled);
                return ValueTask.CompletedTask;
            }
            return new ValueTask(this, _core.Version);
        }

        public void Signal()
        {
            while (true)
            {
                switch (Volatile.Read(ref _state))
                {
                    case Waiting:
                        if (Interlocked.CompareExchange(ref _state, Idle, Waiting) != Waiting) continue;
                        _core.SetResult(true);
                        return;
                    case Idle:
                        if (Interlocked.CompareExchange(ref _state, Signalled, Idle) != Idle) continue;
                        return;
                    default:
                        return;
                }
            }
        }

        public void Close()
        {
            if (Interlocked.Exchange(ref _state, Closed) == Waiting) _core.SetResult(true);
        }

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}

/// <summary>Work a watch asks of its io_uring loop.</summary>
internal enum LoopOp
{
    Receive,
    PollWritable,
    Cancel,
}
