using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Vaani.Workers.Net;

/// <summary>
/// One thread waiting in epoll(7) for the sockets registered with it, edge-triggered. A socket's
/// owner reads and writes it with non-blocking calls and, when a call would block, awaits the
/// socket's <see cref="SocketWatch"/>; the loop completes that wait on its own thread, so the code
/// after the await runs there, as it does in an event loop (the gateway's data plane, which never
/// blocks a thread). Sockets used this way are never registered with the runtime's own socket
/// engine, so each readiness costs one wake-up of this thread and nothing else.
/// </summary>
/// <remarks>Linux only (x86-64 and arm64: the two layouts of <c>struct epoll_event</c>); see <see cref="IsSupported"/>.</remarks>
public sealed partial class EventLoop : IDisposable
{
    private const uint EpollIn = 0x001;
    private const uint EpollOut = 0x004;
    private const uint EpollErr = 0x008;
    private const uint EpollHup = 0x010;
    private const uint EpollRdHup = 0x2000;
    private const uint EpollEt = 1u << 31;
    private const int CtlAdd = 1;
    private const int CtlDel = 2;
    private const int Eintr = 4;
    private const int MaxEvents = 256;

    [ThreadStatic] private static EventLoop? t_current;
    private static readonly Lock s_sharedGate = new();
    private static EventLoop[]? s_shared;
    private static int s_nextShared;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Registrations _registered = new();
    private readonly Thread _thread;
    // Loop thread only; one entry per flush asked for this wake-up. Wrapped in a struct: storing an
    // interface reference into an array is type-checked by a runtime helper, storing a struct is not.
    private readonly List<PendingFlush> _flushes = [];
    private volatile bool _disposed;

    /// <summary>True where the loop runs: Linux on x86-64 or arm64.</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>Size of one <c>struct epoll_event</c>: packed on x86-64, padded elsewhere.</summary>
    private static int EventSize => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <param name="name">The loop thread's name.</param>
    public EventLoop(string name)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("the event loop needs Linux on x86-64 or arm64");
        _epoll = EpollCreate1(0x80000); // EPOLL_CLOEXEC
        if (_epoll < 0) throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        _wake = EventFd(0, 0x80000 | 0x800); // EFD_CLOEXEC | EFD_NONBLOCK
        if (_wake < 0) throw new IOException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        Control(CtlAdd, _wake, EpollIn, 0);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        // Without its creator's execution context (often a request's): what runs on the loop belongs
        // to no request, and code resumed there has no context to restore.
        _thread.UnsafeStart();
    }

    /// <summary>
    /// The process's loops, one per <paramref name="count"/> requested the first time (later counts
    /// are ignored), handed out in turn; null where <see cref="IsSupported"/> is false.
    /// </summary>
    public static EventLoop? Shared(int count)
    {
        if (!IsSupported) return null;
        var loops = Volatile.Read(ref s_shared);
        if (loops is null)
        {
            lock (s_sharedGate)
            {
                loops = s_shared;
                if (loops is null)
                {
                    loops = new EventLoop[Math.Max(1, count)];
                    for (int i = 0; i < loops.Length; i++) loops[i] = new EventLoop($"vaani event loop {i}");
                    Volatile.Write(ref s_shared, loops);
                }
            }
        }
        return loops.Length == 1 ? loops[0] : loops[(int)((uint)Interlocked.Increment(ref s_nextShared) % (uint)loops.Length)];
    }

    /// <summary>True when called on this loop's thread.</summary>
    public bool IsOnLoop => Thread.CurrentThread == _thread;

    /// <summary>The loop whose thread is calling; null off every loop's thread.</summary>
    public static EventLoop? Current => t_current;

    /// <summary>
    /// Has <paramref name="flush"/> run on this loop's thread once every event of the current wake-up
    /// has been handled, before the loop waits again, so writes made while handling several events
    /// can leave in one system call. Loop thread only; a flush asked for twice runs twice.
    /// </summary>
    public void FlushAfterEvents(ILoopFlush flush)
    {
        if (!IsOnLoop) throw new InvalidOperationException("a flush after events is asked for on the loop's own thread only");
        _flushes.Add(new PendingFlush(flush));
    }

    /// <summary>
    /// A timer whose <paramref name="callback"/> runs on this loop's thread, as
    /// <see cref="TimeProvider.CreateTimer"/> describes (due time and period; infinite disarms; zero
    /// fires at once). It is a timerfd(2) in the loop's epoll set: an expiry costs the loop one event,
    /// where a runtime timer wakes the runtime's timer thread and then a thread-pool thread. The
    /// callback must be short and must not block, like any code on the loop; an exception it throws
    /// ends the process, as one from a runtime timer does. A callback already started may still run
    /// once after <see cref="ITimer.Dispose"/> returns.
    /// </summary>
    public ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ObjectDisposedException.ThrowIf(_disposed, this);
        int fd = TimerFdCreate(1, 0x80000 | 0x800); // CLOCK_MONOTONIC; TFD_CLOEXEC | TFD_NONBLOCK
        if (fd < 0) throw new IOException($"timerfd_create failed: errno {Marshal.GetLastPInvokeError()}");
        var timer = _registered.Add(id => new LoopTimer(this, fd, id, callback, state));
        try
        {
            Control(CtlAdd, fd, EpollIn | EpollEt, timer.Id);
            timer.Change(dueTime, period);
        }
        catch
        {
            timer.Dispose();
            throw;
        }
        return timer;
    }

    private void Forget(LoopTimer timer)
    {
        if (_registered.Remove(timer.Id, timer))
            _ = Close(timer.Fd); // also leaves the epoll set
    }

    /// <summary>
    /// Watches <paramref name="socket"/> (switched to non-blocking mode) for reading, and for writing
    /// when <paramref name="writes"/> is true. Leave writes out for a Unix socket whose owner rarely
    /// waits to write: Linux signals a Unix socket writable every time its peer reads from it, which
    /// would wake the loop for every frame the peer takes.
    /// </summary>
    public SocketWatch Watch(Socket socket, bool writes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        socket.Blocking = false;
        var watch = _registered.Add(id => new SocketWatch(this, socket, id));
        try
        {
            Control(CtlAdd, (int)socket.Handle, EpollIn | EpollRdHup | EpollEt | (writes ? EpollOut : 0), watch.Id);
        }
        catch
        {
            _registered.Remove(watch.Id, watch);
            throw;
        }
        return watch;
    }

    /// <summary>What an event carrying <paramref name="id"/> would reach now (null: nothing).</summary>
    internal object? FindRegistered(ulong id) => _registered.Find(id);

    internal void Forget(SocketWatch watch)
    {
        if (!_registered.Remove(watch.Id, watch)) return;
        // Fails harmlessly once the socket is closed: the kernel dropped it from the set then.
        try { EpollCtl(_epoll, CtlDel, (int)watch.Socket.Handle, IntPtr.Zero); }
        catch (ObjectDisposedException) { }
    }

    private unsafe void Control(int op, int fd, uint events, ulong data)
    {
        byte* e = stackalloc byte[16];
        *(uint*)e = events;
        *(ulong*)(e + (EventSize == 12 ? 4 : 8)) = data;
        if (EpollCtl(_epoll, op, fd, (IntPtr)e) != 0)
            throw new IOException($"epoll_ctl failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>
    /// The thread's loop. Compiled once, optimised, at start: a method that never returns would
    /// otherwise run as unoptimised code until the runtime compiled an on-stack replacement for it,
    /// which it did on the loop's own thread, under load, stalling every socket for ~20 ms.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Run()
    {
        int size = EventSize;
        int dataOffset = size == 12 ? 4 : 8;
        byte* events = (byte*)NativeMemory.Alloc((nuint)(size * MaxEvents));
        t_current = this;
        try
        {
            while (!_disposed)
            {
                int n = EpollWait(_epoll, (IntPtr)events, MaxEvents, -1);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Eintr) continue;
                    throw new IOException($"epoll_wait failed: errno {Marshal.GetLastPInvokeError()}");
                }
                Dispatch(events, n, size, dataOffset);
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    /// <summary>
    /// Handles one wake-up's <paramref name="n"/> events, then the flushes they asked for. A method
    /// of its own: <see cref="Run"/> never returns, so the runtime only ever runs it as
    /// on-stack-replacement code, while this one is compiled like any other hot method (fully
    /// optimised, with profile-guided inlining of what it calls).
    /// </summary>
    private unsafe void Dispatch(byte* events, int n, int size, int dataOffset)
    {
        for (int i = 0; i < n; i++)
        {
            byte* e = events + i * size;
            ulong id = *(ulong*)(e + dataOffset);
            if (id == 0) continue;
            var registered = _registered.Find(id);
            if (registered is SocketWatch watch)
            {
                uint flags = *(uint*)e;
                // Continuations run here; those of async methods never throw (their task holds the error).
                watch.Signal(
                    readable: (flags & EpollIn) != 0, readEnded: (flags & (EpollErr | EpollHup | EpollRdHup)) != 0,
                    writable: (flags & EpollOut) != 0, writeEnded: (flags & (EpollErr | EpollHup)) != 0);
            }
            else if (registered is LoopTimer timer)
            {
                timer.Expired();
            }
        }
        // A flush may ask for another (it can run continuations): the loop takes them all.
        for (int i = 0; i < _flushes.Count; i++)
            _flushes[i].Target.Flush();
        _flushes.Clear();
    }

    /// <summary>Stops the loop thread; sockets still watched get no further events.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ulong one = 1;
        unsafe { _ = Write(_wake, (IntPtr)(&one), 8); }
        if (!IsOnLoop) _thread.Join();
        foreach (var registered in _registered.All())
        {
            if (registered is SocketWatch watch) watch.Dispose();
            else ((LoopTimer)registered).Dispose();
        }
        _ = Close(_wake);
        _ = Close(_epoll);
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epoll, int op, int fd, IntPtr e);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epoll, IntPtr events, int max, int timeout);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, IntPtr buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, IntPtr buffer, nint count);

    [LibraryImport("libc", EntryPoint = "timerfd_create", SetLastError = true)]
    private static partial int TimerFdCreate(int clock, int flags);

    [LibraryImport("libc", EntryPoint = "timerfd_settime", SetLastError = true)]
    private static partial int TimerFdSetTime(int fd, int flags, IntPtr value, IntPtr old);

    private readonly record struct PendingFlush(ILoopFlush Target);

    /// <summary>
    /// What the loop watches (sockets and timers), by the id each one's epoll events carry: a slot
    /// number in the low half, so the loop finds it with one array read instead of a hash lookup per
    /// event, and a generation in the high half, so an event still queued for a registration that
    /// has gone finds nothing once its slot holds another. Changed under a lock from any thread; read
    /// by the loop without one.
    /// </summary>
    private sealed class Registrations
    {
        private readonly Lock _gate = new();
        private readonly Stack<int> _free = new();
        private object?[] _slots = new object?[64];
        private int _used;       // slots ever handed out
        private uint _generation;

        /// <summary>Registers what <paramref name="create"/> builds for the id it is given (never 0).</summary>
        public T Add<T>(Func<ulong, T> create)
            where T : class
        {
            lock (_gate)
            {
                int slot = _free.Count > 0 ? _free.Pop() : _used++;
                if (slot == _slots.Length)
                {
                    var larger = new object?[_slots.Length * 2];
                    _slots.CopyTo(larger, 0);
                    Volatile.Write(ref _slots, larger);
                }
                var registered = create(((ulong)++_generation << 32) | (uint)(slot + 1));
                Volatile.Write(ref _slots[slot], registered);
                return registered;
            }
        }

        /// <summary>Removes <paramref name="registered"/>; false when it was not (or no longer) registered under <paramref name="id"/>.</summary>
        public bool Remove(ulong id, object registered)
        {
            int slot = (int)(uint)id - 1;
            lock (_gate)
            {
                if ((uint)slot >= (uint)_slots.Length || !ReferenceEquals(_slots[slot], registered)) return false;
                Volatile.Write(ref _slots[slot], null);
                _free.Push(slot);
                return true;
            }
        }

        /// <summary>The registration an event's <paramref name="id"/> names, or null when it has gone.</summary>
        public object? Find(ulong id)
        {
            var slots = Volatile.Read(ref _slots);
            int slot = (int)(uint)id - 1;
            if ((uint)slot >= (uint)slots.Length) return null;
            var registered = Volatile.Read(ref slots[slot]);
            return registered switch
            {
                SocketWatch watch when watch.Id == id => watch,
                LoopTimer timer when timer.Id == id => timer,
                _ => null,
            };
        }

        public List<object> All()
        {
            lock (_gate) return [.. _slots.OfType<object>()];
        }
    }

    /// <summary>A timerfd watched by the loop; see <see cref="CreateTimer"/>.</summary>
    private sealed class LoopTimer(EventLoop loop, int fd, ulong id, TimerCallback callback, object? state) : ITimer
    {
        // Held around every use of the fd, so none reaches a number closed and reused meanwhile.
        private readonly Lock _gate = new();
        private int _disposed;

        public int Fd { get; } = fd;

        public ulong Id { get; } = id;

        /// <summary>On the loop: takes the expiry count (the fd is non-blocking) and runs the callback.</summary>
        public unsafe void Expired()
        {
            ulong expirations;
            lock (_gate)
            {
                if (_disposed != 0 || Read(Fd, (IntPtr)(&expirations), 8) != 8) return;
            }
            callback(state);
        }

        public unsafe bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime != Timeout.InfiniteTimeSpan) ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero);
            if (period != Timeout.InfiniteTimeSpan) ArgumentOutOfRangeException.ThrowIfLessThan(period, TimeSpan.Zero);
            // struct itimerspec { timespec it_interval; timespec it_value; }; a zero value disarms,
            // so "at once" is one nanosecond.
            long* spec = stackalloc long[4];
            SetTimespec(spec, period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period);
            if (dueTime == Timeout.InfiniteTimeSpan) { spec[2] = 0; spec[3] = 0; }
            else if (dueTime == TimeSpan.Zero) { spec[2] = 0; spec[3] = 1; }
            else SetTimespec(spec + 2, dueTime);
            lock (_gate)
            {
                if (_disposed != 0) return false;
                if (TimerFdSetTime(Fd, 0, (IntPtr)spec, IntPtr.Zero) != 0)
                    throw new IOException($"timerfd_settime failed: errno {Marshal.GetLastPInvokeError()}");
            }
            return true;
        }

        private static unsafe void SetTimespec(long* timespec, TimeSpan value)
        {
            long ticks = value.Ticks;
            timespec[0] = ticks / TimeSpan.TicksPerSecond;
            timespec[1] = ticks % TimeSpan.TicksPerSecond * 100;
        }

        public void Dispose()
        {
            lock (_gate)
            {
                if (_disposed != 0) return;
                _disposed = 1;
                loop.Forget(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>
/// The system clock, with timers that run their callbacks on an <see cref="EventLoop"/>'s thread
/// (<see cref="EventLoop.CreateTimer"/>). For periodic work of the loop's own connections
/// (heartbeats, idle checks), which then never wakes another thread.
/// </summary>
public sealed class EventLoopTimeProvider(EventLoop loop) : TimeProvider
{
    /// <summary>The loop the timers run on.</summary>
    public EventLoop Loop { get; } = loop;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        Loop.CreateTimer(callback, state, dueTime, period);
}

/// <summary>
/// A socket registered with an <see cref="EventLoop"/>. Its owner makes non-blocking calls and, when
/// one would block, awaits <see cref="WaitReadableAsync"/> or <see cref="WaitWritableAsync"/>: at most
/// one wait per direction at a time. A wait completes on the loop's thread when the socket became
/// ready since the owner's last wait began, so an edge that arrives between a call that would block
/// and the wait is never lost; it may complete without new data (the owner's next call says so).
/// Once the loop has seen a direction end (the peer finished sending, the socket hung up or failed),
/// every wait in it completes at once: the owner reads on to the end of the stream or the error.
/// Waits take no cancellation token: to end one, shut the socket down (the wait completes and the
/// next call reports the end) or call <see cref="WakeReader"/>.
/// </summary>
public sealed class SocketWatch : IDisposable, IValueTaskSource
{
    private readonly EventLoop _loop;
    // The read wait lives in this object (its awaited form completes through this object), so an
    // event for a reader loads one object, not two; writes wait rarely and keep one of their own.
    private Readiness _read;
    private readonly WriteWait _write = new();
    private int _disposed;

    internal SocketWatch(EventLoop loop, Socket socket, ulong id)
    {
        _loop = loop;
        Socket = socket;
        Id = id;
    }

    internal ulong Id { get; }

    /// <summary>The watched socket.</summary>
    public Socket Socket { get; }

    /// <summary>The loop this socket is watched by.</summary>
    public EventLoop Loop => _loop;

    /// <summary>Completes once the socket may have something to read (or has ended).</summary>
    public ValueTask WaitReadableAsync() => _read.WaitAsync(this);

    /// <summary>
    /// The callback form of <see cref="WaitReadableAsync"/>, for a plain method on the loop that reads
    /// until the socket is empty and then arms itself: false when the socket may have become readable
    /// since the last wait began (read again now; nothing is armed); true when
    /// <paramref name="handler"/> will run once, when it may, on the loop's thread (or on the thread
    /// that calls <see cref="WakeReader"/> or <see cref="Dispose"/>). Nothing is allocated or captured,
    /// and no task machinery runs between the event and the handler. The same rule holds: one wait
    /// (armed or awaited) per direction at a time.
    /// </summary>
    public bool TryArmReadable(Action handler) => _read.TryArm(handler);

    /// <summary>Completes once the socket may take more bytes (or has ended). Only for sockets watched for writes.</summary>
    public ValueTask WaitWritableAsync() => _write.State.WaitAsync(_write);

    /// <summary>Completes the pending read wait (or the next one) without an event, so its owner looks at its own state again.</summary>
    public void WakeReader() => _read.Signal();

    /// <summary>
    /// One event from the loop. An edge that says a direction has ended (the peer finished sending,
    /// the socket hung up or failed) is the last the kernel reports for it, though bytes may still be
    /// waiting before the end: an owner that took a short read for an empty socket would wait for an
    /// edge that never comes. So from then on every wait in that direction completes at once, and the
    /// owner reads on until it sees the end of the stream or the error.
    /// </summary>
    internal void Signal(bool readable, bool readEnded, bool writable, bool writeEnded)
    {
        if (readEnded) _read.Close();
        else if (readable) _read.Signal();
        if (writeEnded) _write.State.Close();
        else if (writable) _write.State.Signal();
    }

    /// <summary>Stops watching (the socket stays open); pending waits complete.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _loop.Forget(this);
        _read.Close();
        _write.State.Close();
    }

    /// <summary>
    /// One direction's readiness: a single reusable wait, never lost between a failed call and the
    /// wait. A wait is either awaited (<see cref="WaitAsync"/>) or armed with a handler
    /// (<see cref="TryArm"/>); what ends it completes the one or calls the other.
    /// </summary>
    private struct Readiness
    {
        private const int Idle = 0, Signalled = 1, Waiting = 2, Closed = 3;
        private int _state;
        private Action? _handler; // the armed wait's; null while a wait is awaited
        private ManualResetValueTaskSourceCore<bool> _core; // continuations run where the wait completes: the loop

        /// <summary>Awaits the wait; <paramref name="source"/> is the object holding this readiness, which completes it.</summary>
        public ValueTask WaitAsync(IValueTaskSource source)
        {
            _handler = null;
            _core.Reset();
            return Begin() ? new ValueTask(source, _core.Version) : ValueTask.CompletedTask;
        }

        public bool TryArm(Action handler)
        {
            _handler = handler; // before the wait is visible: whoever ends it reads it after
            return Begin();
        }

        /// <summary>Starts waiting; false when readiness came since the last wait (consumed now) or the direction ended.</summary>
        private bool Begin()
        {
            if (Interlocked.CompareExchange(ref _state, Idle, Signalled) is Signalled or Closed) return false;
            if (Interlocked.CompareExchange(ref _state, Waiting, Idle) != Idle)
            {
                // Signalled (or closed) between the two steps.
                Interlocked.CompareExchange(ref _state, Idle, Signalled);
                return false;
            }
            return true;
        }

        public void Signal()
        {
            while (true)
            {
                switch (Volatile.Read(ref _state))
                {
                    case Waiting:
                        if (Interlocked.CompareExchange(ref _state, Idle, Waiting) != Waiting) continue;
                        End();
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
            if (Interlocked.Exchange(ref _state, Closed) == Waiting) End();
        }

        /// <summary>Ends the wait this thread took from Waiting: calls its handler or completes its task.</summary>
        private void End()
        {
            if (_handler is { } handler)
            {
                _handler = null;
                handler();
            }
            else
            {
                _core.SetResult(true);
            }
        }

        public void GetResult(short token) => _core.GetResult(token);

        public readonly ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }

    // The read wait's awaited form.
    void IValueTaskSource.GetResult(short token) => _read.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _read.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _read.OnCompleted(continuation, state, token, flags);

    /// <summary>The write direction's wait.</summary>
    private sealed class WriteWait : IValueTaskSource
    {
        public Readiness State;

        public void GetResult(short token) => State.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => State.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            State.OnCompleted(continuation, state, token, flags);
    }
}
