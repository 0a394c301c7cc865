using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Vaani.Workers.Net;

/// <summary>
/// One thread waiting for the sockets registered with it, in io_uring(7) or epoll(7) (edge-triggered;
/// see <see cref="EventLoopBackend"/>). A socket's owner reads it with <see cref="SocketWatch.Receive"/>,
/// writes it with non-blocking sends and, when a call would block, awaits the socket's
/// <see cref="SocketWatch"/>; the loop completes that wait on its own thread, so the code after the
/// await runs there, as it does in an event loop (the gateway's data plane, which never blocks a
/// thread). Sockets used this way are never registered with the runtime's own socket engine, so
/// each readiness costs one wake-up of this thread and nothing else. On io_uring the kernel also
/// does the receiving: data arrives with the wake-up, and the owner's read is a copy, not a system call.
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

    /// <summary>The variable that picks the backend: <c>io_uring</c>, <c>epoll</c>, or unset (io_uring where the kernel allows it).</summary>
    public const string BackendVariable = "VAANI_EVENT_LOOP";

    private const uint UringEntries = 1024;
    private const int UringBufferCount = 1024;  // shared by the loop's sockets; a power of two
    private const int UringBufferSize = 4096;
    private const int StarvedRetryMs = 10;
    private const ulong KindShift = 56, IdMask = (1UL << 56) - 1;
    private const ulong KindWake = 1, KindRecv = 2, KindPoll = 3, KindCancel = 4;
    private const uint PollOut = 0x004;

    [ThreadStatic] private static EventLoop? t_current;
    private static readonly Lock s_sharedGate = new();
    private static EventLoop[]? s_shared;
    private static int s_nextShared;

    private readonly int _epoll = -1;
    private readonly int _wake = -1;
    private IoUring? _uring; // created by the loop's thread, set before the constructor returns
    private readonly ConcurrentQueue<(SocketWatch Watch, LoopOp Op)> _posted = new(); // io_uring: work asked for off the loop
    private readonly List<SocketWatch> _starved = [];                                // io_uring, loop thread: receives out of buffers
    private unsafe ulong* _wakeBuffer; // io_uring: where the wake-up counter is read to
    private int _wakePending;
    private readonly ConcurrentDictionary<ulong, SocketWatch> _watches = new();
    private readonly Thread _thread;
    private readonly List<ILoopFlush> _flushes = []; // loop thread only; one entry per flush asked for this wake-up
    private long _nextId;
    private volatile bool _disposed;

    /// <summary>True where the loop runs: Linux on x86-64 or arm64.</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>Size of one <c>struct epoll_event</c>: packed on x86-64, padded elsewhere.</summary>
    private static int EventSize => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <param name="name">The loop thread's name.</param>
    /// <param name="backend">
    /// What the loop waits in; <see cref="EventLoopBackend.Default"/>: as <see cref="BackendVariable"/>
    /// says, else io_uring where the kernel allows it, else epoll.
    /// </param>
    /// <exception cref="PlatformNotSupportedException">io_uring was asked for and the kernel refused it.</exception>
    public unsafe EventLoop(string name, EventLoopBackend backend = EventLoopBackend.Default)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("the event loop needs Linux on x86-64 or arm64");
        bool requireUring = backend == EventLoopBackend.IoUring || (backend == EventLoopBackend.Default && ExplicitBackend() == EventLoopBackend.IoUring);
        if (backend == EventLoopBackend.Default) backend = ConfiguredBackend();
        Thread? thread = null;
        if (backend == EventLoopBackend.IoUring)
        {
            // The ring belongs to the thread that creates it (single issuer): the loop's own.
            string? reason = null;
            using var created = new ManualResetEventSlim();
            // io_uring reads the wake-up counter, so it blocks (a read of a non-blocking one would fail at once).
            _wake = EventFd(0, 0x80000); // EFD_CLOEXEC
            if (_wake < 0) throw new IOException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
            _wakeBuffer = (ulong*)NativeMemory.Alloc(8);
            thread = new Thread(() =>
            {
                var uring = IoUring.TryCreate(UringEntries, UringBufferCount, UringBufferSize, out reason);
                _uring = uring;
                created.Set();
                if (uring is not null) RunUring(uring);
            }) { IsBackground = true, Name = name };
            thread.Start();
            created.Wait();
            if (_uring is null)
            {
                _ = Close(_wake);
                NativeMemory.Free(_wakeBuffer);
                _wakeBuffer = null;
                if (requireUring) throw new PlatformNotSupportedException($"the io_uring event loop is not available: {reason}");
                UnavailableReason = reason;
            }
        }
        if (_uring is null)
        {
            _wake = EventFd(0, 0x80000 | 0x800); // EFD_CLOEXEC | EFD_NONBLOCK
            if (_wake < 0) throw new IOException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
            _epoll = EpollCreate1(0x80000); // EPOLL_CLOEXEC
            if (_epoll < 0) throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
            Control(CtlAdd, _wake, EpollIn, 0);
            Backend = EventLoopBackend.Epoll;
            thread = new Thread(RunEpoll) { IsBackground = true, Name = name };
            thread.Start();
        }
        else Backend = EventLoopBackend.IoUring;
        _thread = thread!;
    }

    /// <summary>What this loop waits in.</summary>
    public EventLoopBackend Backend { get; }

    /// <summary>Why io_uring was asked for by default and not used; null otherwise.</summary>
    public string? UnavailableReason { get; }

    internal IoUring? Uring => _uring;

    private static EventLoopBackend? ExplicitBackend() => Environment.GetEnvironmentVariable(BackendVariable)?.Trim().ToLowerInvariant() switch
    {
        "io_uring" or "iouring" or "uring" => EventLoopBackend.IoUring,
        "epoll" => EventLoopBackend.Epoll,
        null or "" => null,
        var other => throw new ArgumentException($"{BackendVariable} must be io_uring or epoll, not '{other}'"),
    };

    private static EventLoopBackend ConfiguredBackend() => ExplicitBackend() ?? EventLoopBackend.IoUring;

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
        _flushes.Add(flush);
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
        var id = (ulong)Interlocked.Increment(ref _nextId);
        var watch = new SocketWatch(this, socket, id);
        _watches[id] = watch;
        if (_uring is not null)
        {
            // Writes are waited for one at a time (SocketWatch.WaitWritableAsync), so none wake the loop unasked.
            watch.StartReceiving();
            return watch;
        }
        try
        {
            Control(CtlAdd, (int)socket.Handle, EpollIn | EpollRdHup | EpollEt | (writes ? EpollOut : 0), id);
        }
        catch
        {
            _watches.TryRemove(id, out _);
            throw;
        }
        return watch;
    }

    internal void Forget(SocketWatch watch)
    {
        if (!_watches.TryRemove(watch.Id, out _) || _uring is not null) return;
        // Fails harmlessly once the socket is closed: the kernel dropped it from the set then.
        try { EpollCtl(_epoll, CtlDel, (int)watch.Socket.Handle, IntPtr.Zero); }
        catch (ObjectDisposedException) { }
    }

    /// <summary>
    /// Has the io_uring loop start <paramref name="op"/> for <paramref name="watch"/>: at once on the
    /// loop's thread (it leaves with the next wait), else handed to the loop, which is woken for it.
    /// </summary>
    internal void Submit(SocketWatch watch, LoopOp op)
    {
        if (IsOnLoop)
        {
            Prepare(watch, op);
            return;
        }
        _posted.Enqueue((watch, op));
        if (Interlocked.Exchange(ref _wakePending, 1) == 0) WakeLoop();
    }

    private unsafe void WakeLoop()
    {
        ulong one = 1;
        _ = Write(_wake, (IntPtr)(&one), 8);
    }

    private unsafe void Prepare(SocketWatch watch, LoopOp op)
    {
        var uring = _uring!;
        switch (op)
        {
            case LoopOp.Receive:
                // A watch disposed before its receive started: the descriptor may already name another socket.
                if (watch.IsDisposed) return;
                byte* recv = uring.Prepare(IoUring.OpRecv, watch.Descriptor, KindRecv << (int)KindShift | watch.Id);
                recv[1] = IoUring.SqeBufferSelect;
                *(ushort*)(recv + 2) = IoUring.RecvMultishot;
                *(ushort*)(recv + 40) = IoUring.BufferGroup;
                break;
            case LoopOp.PollWritable:
                if (watch.IsDisposed) return;
                byte* poll = uring.Prepare(IoUring.OpPollAdd, watch.Descriptor, KindPoll << (int)KindShift | watch.Id);
                *(uint*)(poll + 28) = PollOut;
                break;
            case LoopOp.Cancel:
                foreach (var kind in (ReadOnlySpan<ulong>)[KindRecv, KindPoll])
                {
                    byte* cancel = uring.Prepare(IoUring.OpAsyncCancel, -1, KindCancel << (int)KindShift);
                    *(ulong*)(cancel + 16) = kind << (int)KindShift | watch.Id;
                }
                break;
        }
    }

    private unsafe void ArmWake()
    {
        byte* read = _uring!.Prepare(IoUring.OpRead, _wake, KindWake << (int)KindShift);
        *(ulong*)(read + 8) = ulong.MaxValue; // no offset: an eventfd is read at its current position
        *(ulong*)(read + 16) = (ulong)_wakeBuffer;
        *(uint*)(read + 24) = 8;
    }

    private unsafe void Control(int op, int fd, uint events, ulong data)
    {
        byte* e = stackalloc byte[16];
        *(uint*)e = events;
        *(ulong*)(e + (EventSize == 12 ? 4 : 8)) = data;
        if (EpollCtl(_epoll, op, fd, (IntPtr)e) != 0)
            throw new IOException($"epoll_ctl failed: errno {Marshal.GetLastPInvokeError()}");
    }

    private unsafe void RunEpoll()
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
                for (int i = 0; i < n; i++)
                {
                    byte* e = events + i * size;
                    ulong id = *(ulong*)(e + dataOffset);
                    if (id == 0 || !_watches.TryGetValue(id, out var watch)) continue;
                    uint flags = *(uint*)e;
                    // Continuations run here; those of async methods never throw (their task holds the error).
                    watch.Signal((flags & (EpollIn | EpollErr | EpollHup | EpollRdHup)) != 0, (flags & (EpollOut | EpollErr | EpollHup)) != 0);
                }
                // A flush may ask for another (it can run continuations): the loop takes them all.
                for (int i = 0; i < _flushes.Count; i++)
                    _flushes[i].Flush();
                _flushes.Clear();
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    private unsafe void RunUring(IoUring uring)
    {
        t_current = this;
        try
        {
            Loop(uring);
        }
        finally
        {
            // The ring goes with its thread: a loop disposed from its own thread is still inside it here.
            uring.Dispose();
            NativeMemory.Free(_wakeBuffer);
            _ = Close(_wake);
        }
    }

    private void Loop(IoUring uring)
    {
        ArmWake();
        while (!_disposed)
        {
            uring.SubmitAndWait(_starved.Count > 0 ? StarvedRetryMs : -1);
            while (!_disposed && uring.TryComplete(out ulong userData, out int result, out uint flags))
                Complete(uring, userData, result, flags);
            TakePosted();
            if (_starved.Count > 0) RearmStarved();
            for (int i = 0; i < _flushes.Count; i++)
                _flushes[i].Flush();
            _flushes.Clear();
        }
    }

    private void Complete(IoUring uring, ulong userData, int result, uint flags)
    {
        ulong kind = userData >> (int)KindShift;
        ulong id = userData & IdMask;
        switch (kind)
        {
            case KindRecv:
            {
                bool hasBuffer = (flags & IoUring.CqeBuffer) != 0;
                ushort bufferId = (ushort)(flags >> IoUring.CqeBufferShift);
                if (!_watches.TryGetValue(id, out var watch))
                {
                    if (hasBuffer) uring.ReturnBuffer(bufferId); // a receive that completed as its watch ended
                    return;
                }
                // Continuations run here; those of async methods never throw (their task holds the error).
                bool starved = watch.OnReceived(uring, result, (flags & IoUring.CqeMore) != 0, bufferId, hasBuffer, out bool pause, out bool rearm);
                if (starved) _starved.Add(watch);
                if (pause) PrepareCancel(uring, KindRecv, id);
                if (rearm) Prepare(watch, LoopOp.Receive);
                return;
            }
            case KindPoll:
                if (_watches.TryGetValue(id, out var polled)) polled.OnWritable();
                return;
            case KindWake:
                if (!_disposed) ArmWake();
                return;
        }
    }

    private unsafe void PrepareCancel(IoUring uring, ulong kind, ulong id)
    {
        byte* cancel = uring.Prepare(IoUring.OpAsyncCancel, -1, KindCancel << (int)KindShift);
        *(ulong*)(cancel + 16) = kind << (int)KindShift | id;
    }

    private void TakePosted()
    {
        if (_posted.IsEmpty) return;
        Volatile.Write(ref _wakePending, 0); // work posted from here on wakes the loop again
        while (_posted.TryDequeue(out var item)) Prepare(item.Watch, item.Op);
    }

    private void RearmStarved()
    {
        var starved = _starved.ToArray();
        _starved.Clear();
        foreach (var watch in starved)
            if (watch.RearmStarved()) Prepare(watch, LoopOp.Receive);
    }

    /// <summary>Stops the loop thread; sockets still watched get no further events.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        WakeLoop();
        if (!IsOnLoop) _thread.Join();
        foreach (var watch in _watches.Values) watch.Dispose();
        if (_uring is not null) return; // the loop's thread closes its ring on its way out
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
}

/// <summary>What an <see cref="EventLoop"/> waits in.</summary>
public enum EventLoopBackend
{
    /// <summary>As <see cref="EventLoop.BackendVariable"/> says; unset: io_uring where the kernel allows it, else epoll.</summary>
    Default,

    /// <summary>epoll(7), edge-triggered: the loop wakes on readiness and owners make the system calls.</summary>
    Epoll,

    /// <summary>io_uring(7) (Linux 6.1 or later): multishot receives into shared buffers, waits and submissions in one call.</summary>
    IoUring,
}
