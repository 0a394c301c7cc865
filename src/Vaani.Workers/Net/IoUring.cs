using System.Runtime.InteropServices;

namespace Vaani.Workers.Net;

/// <summary>
/// One io_uring(7) instance for one thread, set up with <c>IORING_SETUP_SINGLE_ISSUER</c> and
/// <c>IORING_SETUP_DEFER_TASKRUN</c>: only that thread submits, and completions are produced only
/// while it waits in <see cref="SubmitAndWait"/>. With it comes one ring of provided receive buffers
/// (<c>IORING_REGISTER_PBUF_RING</c>, group <see cref="BufferGroup"/>) that multishot receives fill:
/// the kernel picks a free buffer per completion, and the owner hands it back
/// (<see cref="ReturnBuffer"/>, from any thread) once it has copied the bytes out.
/// </summary>
/// <remarks>
/// Raw system calls, no liburing: the ring layout is the kernel's stable ABI. Needs Linux 6.1 or
/// later (the setup flags); <see cref="TryCreate"/> reports why a kernel refused.
/// </remarks>
internal sealed unsafe partial class IoUring : IDisposable
{
    public const byte OpPollAdd = 6;
    public const byte OpAsyncCancel = 14;
    public const byte OpRead = 22;
    public const byte OpRecv = 27;
    public const byte SqeBufferSelect = 1 << 5;
    public const ushort RecvMultishot = 1 << 1;
    public const uint CqeBuffer = 1 << 0;
    public const uint CqeMore = 1 << 1;
    public const int CqeBufferShift = 16;
    public const ushort BufferGroup = 0;

    private const long SysSetup = 425, SysEnter = 426, SysRegister = 427; // the same on x86-64 and arm64
    private const uint SetupCqSize = 1 << 3, SetupSubmitAll = 1 << 7, SetupCoopTaskrun = 1 << 8, SetupSingleIssuer = 1 << 12, SetupDeferTaskrun = 1 << 13;
    private const uint FeatSingleMmap = 1 << 0, FeatNoDrop = 1 << 1;
    private const uint EnterGetEvents = 1 << 0, EnterExtArg = 1 << 3;
    private const long RegisterPbufRing = 22;
    private const int SqeSize = 64, CqeSize = 16, BufEntrySize = 16;
    private const int ProtReadWrite = 0x1 | 0x2, MapSharedPopulate = 0x01 | 0x8000;
    private const long OffSqes = 0x10000000;
    private const int Eintr = 4, Eagain = 11, Ebusy = 16, Etime = 62;

    private readonly int _fd;
    private readonly byte* _ring;
    private readonly nuint _ringSize;
    private readonly byte* _sqes;
    private readonly nuint _sqesSize;
    private readonly uint* _sqHead, _sqTail, _cqHead, _cqTail;
    private readonly uint _sqMask, _sqEntries, _cqMask;
    private readonly byte* _cqes;
    private uint _sqLocalTail;

    private readonly byte* _bufRing;      // io_uring_buf entries; the tail overlays entry 0's last field
    private readonly byte* _buffers;
    private readonly Lock _bufGate = new();
    private ushort _bufTail;
    private int _disposed;

    /// <summary>Receive buffers in the ring.</summary>
    public int BufferCount { get; }

    /// <summary>Bytes per receive buffer: the most one completion carries.</summary>
    public int BufferSize { get; }

    private IoUring(int fd, byte* ring, nuint ringSize, byte* sqes, nuint sqesSize, byte* p, int bufferCount, int bufferSize)
    {
        _fd = fd;
        _ring = ring;
        _ringSize = ringSize;
        _sqes = sqes;
        _sqesSize = sqesSize;
        _sqEntries = *(uint*)(p + 0);
        _sqHead = (uint*)(ring + *(uint*)(p + 40));
        _sqTail = (uint*)(ring + *(uint*)(p + 44));
        _sqMask = *(uint*)(ring + *(uint*)(p + 48));
        uint* array = (uint*)(ring + *(uint*)(p + 64));
        for (uint i = 0; i < _sqEntries; i++) array[i] = i; // SQE slot i is always array entry i
        _cqHead = (uint*)(ring + *(uint*)(p + 80));
        _cqTail = (uint*)(ring + *(uint*)(p + 84));
        _cqMask = *(uint*)(ring + *(uint*)(p + 88));
        _cqes = ring + *(uint*)(p + 100);
        _sqLocalTail = *_sqTail;

        BufferCount = bufferCount;
        BufferSize = bufferSize;
        _bufRing = (byte*)NativeMemory.AlignedAlloc((nuint)(bufferCount * BufEntrySize), 4096);
        NativeMemory.Clear(_bufRing, (nuint)(bufferCount * BufEntrySize));
        _buffers = (byte*)NativeMemory.AlignedAlloc((nuint)bufferCount * (nuint)bufferSize, 4096);
    }

    /// <summary>
    /// Sets up a ring of <paramref name="entries"/> submissions (completions: four times that) and
    /// <paramref name="bufferCount"/> receive buffers (a power of two) of <paramref name="bufferSize"/>
    /// bytes; null and the reason when the kernel refuses (too old, io_uring disabled, a seccomp filter).
    /// </summary>
    public static IoUring? TryCreate(uint entries, int bufferCount, int bufferSize, out string? reason)
    {
        reason = null;
        if (!OperatingSystem.IsLinux()) { reason = "io_uring is Linux only"; return null; }
        byte* p = stackalloc byte[120];
        new Span<byte>(p, 120).Clear();
        *(uint*)(p + 4) = entries * 4;                                                               // cq_entries
        *(uint*)(p + 8) = SetupCqSize | SetupSubmitAll | SetupCoopTaskrun | SetupSingleIssuer | SetupDeferTaskrun;
        long fd = Syscall(SysSetup, entries, (long)p, 0, 0, 0, 0);
        if (fd < 0) { reason = $"io_uring_setup failed: errno {Marshal.GetLastPInvokeError()}"; return null; }
        uint features = *(uint*)(p + 20);
        if ((features & (FeatSingleMmap | FeatNoDrop)) != (FeatSingleMmap | FeatNoDrop))
        {
            _ = Close((int)fd);
            reason = "io_uring lacks single-mmap or no-drop completions";
            return null;
        }
        uint sqEntries = *(uint*)(p + 0), cqEntries = *(uint*)(p + 4);
        nuint ringSize = (nuint)Math.Max(*(uint*)(p + 64) + sqEntries * 4, *(uint*)(p + 100) + cqEntries * CqeSize);
        byte* ring = (byte*)Mmap(IntPtr.Zero, ringSize, ProtReadWrite, MapSharedPopulate, (int)fd, 0);
        if (ring == (byte*)-1)
        {
            reason = $"mmap of the io_uring rings failed: errno {Marshal.GetLastPInvokeError()}";
            _ = Close((int)fd);
            return null;
        }
        nuint sqesSize = sqEntries * SqeSize;
        byte* sqes = (byte*)Mmap(IntPtr.Zero, sqesSize, ProtReadWrite, MapSharedPopulate, (int)fd, OffSqes);
        if (sqes == (byte*)-1)
        {
            reason = $"mmap of the io_uring submissions failed: errno {Marshal.GetLastPInvokeError()}";
            _ = Munmap((IntPtr)ring, ringSize);
            _ = Close((int)fd);
            return null;
        }
        var uring = new IoUring((int)fd, ring, ringSize, sqes, sqesSize, p, bufferCount, bufferSize);
        if (!uring.RegisterBuffers(out reason))
        {
            uring.Dispose();
            return null;
        }
        return uring;
    }

    private bool RegisterBuffers(out string? reason)
    {
        byte* reg = stackalloc byte[40];
        new Span<byte>(reg, 40).Clear();
        *(ulong*)reg = (ulong)_bufRing;
        *(uint*)(reg + 8) = (uint)BufferCount;
        *(ushort*)(reg + 12) = BufferGroup;
        if (Syscall(SysRegister, _fd, RegisterPbufRing, (long)reg, 1, 0, 0) < 0)
        {
            reason = $"registering the receive buffer ring failed: errno {Marshal.GetLastPInvokeError()}";
            return false;
        }
        for (int i = 0; i < BufferCount; i++) ReturnBuffer((ushort)i);
        reason = null;
        return true;
    }

    /// <summary>Receive buffer <paramref name="id"/>, as a completion named it.</summary>
    public ReadOnlySpan<byte> Buffer(ushort id, int offset, int length) => new(_buffers + (long)id * BufferSize + offset, length);

    /// <summary>Gives a receive buffer back to the kernel. Any thread.</summary>
    public void ReturnBuffer(ushort id)
    {
        lock (_bufGate)
        {
            if (_disposed != 0) return;
            byte* e = _bufRing + (_bufTail & (BufferCount - 1)) * BufEntrySize;
            *(ulong*)e = (ulong)(_buffers + (long)id * BufferSize);
            *(uint*)(e + 8) = (uint)BufferSize;
            *(ushort*)(e + 12) = id;
            _bufTail++;
            Volatile.Write(ref *(ushort*)(_bufRing + 14), _bufTail);
        }
    }

    /// <summary>
    /// The next submission slot, cleared, with the common fields set; it leaves with the next
    /// <see cref="SubmitAndWait"/>. Owning thread only. When the queue is full it is submitted first.
    /// </summary>
    public byte* Prepare(byte opcode, int fd, ulong userData)
    {
        if (_sqLocalTail - Volatile.Read(ref *_sqHead) >= _sqEntries)
        {
            Publish();
            _ = Enter(_sqLocalTail - Volatile.Read(ref *_sqHead), 0, 0, null);
            if (_sqLocalTail - Volatile.Read(ref *_sqHead) >= _sqEntries) throw new IOException("the io_uring submission queue stays full");
        }
        byte* sqe = _sqes + (_sqLocalTail & _sqMask) * SqeSize;
        NativeMemory.Clear(sqe, SqeSize);
        sqe[0] = opcode;
        *(int*)(sqe + 4) = fd;
        *(ulong*)(sqe + 32) = userData;
        _sqLocalTail++;
        return sqe;
    }

    private void Publish() => Volatile.Write(ref *_sqTail, _sqLocalTail);

    /// <summary>
    /// Submits what was prepared and waits until at least one completion is ready, or
    /// <paramref name="timeoutMs"/> passes (−1: no limit). Owning thread only.
    /// </summary>
    public void SubmitAndWait(int timeoutMs)
    {
        Publish();
        uint pending = _sqLocalTail - Volatile.Read(ref *_sqHead);
        if (timeoutMs < 0)
        {
            _ = Enter(pending, 1, EnterGetEvents, null);
            return;
        }
        // struct io_uring_getevents_arg { u64 sigmask; u32 sigmask_sz; u32 min_wait_usec; u64 ts; }
        long* ts = stackalloc long[2];
        ts[0] = timeoutMs / 1000;
        ts[1] = timeoutMs % 1000 * 1_000_000L;
        byte* arg = stackalloc byte[24];
        new Span<byte>(arg, 24).Clear();
        *(ulong*)(arg + 16) = (ulong)ts;
        _ = Enter(pending, 1, EnterGetEvents | EnterExtArg, arg);
    }

    private long Enter(uint toSubmit, uint minComplete, uint flags, byte* arg)
    {
        long r = Syscall(SysEnter, _fd, toSubmit, minComplete, flags, (long)arg, arg is null ? 0 : 24);
        if (r >= 0) return r;
        int errno = Marshal.GetLastPInvokeError();
        // Interrupted, out of kernel memory for a moment, or completions overflowed: the caller reaps and comes back.
        if (errno is Eintr or Eagain or Ebusy or Etime) return 0;
        throw new IOException($"io_uring_enter failed: errno {errno}");
    }

    /// <summary>Takes the next completion, if one is ready. Owning thread only.</summary>
    public bool TryComplete(out ulong userData, out int result, out uint flags)
    {
        uint head = *_cqHead;
        if (head == Volatile.Read(ref *_cqTail))
        {
            userData = 0; result = 0; flags = 0;
            return false;
        }
        byte* cqe = _cqes + (head & _cqMask) * CqeSize;
        userData = *(ulong*)cqe;
        result = *(int*)(cqe + 8);
        flags = *(uint*)(cqe + 12);
        Volatile.Write(ref *_cqHead, head + 1);
        return true;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (_bufGate) { } // a ReturnBuffer in progress finishes; later ones see _disposed
        _ = Close(_fd);     // the kernel cancels what is in flight and stops using the buffers
        _ = Munmap((IntPtr)_sqes, _sqesSize);
        _ = Munmap((IntPtr)_ring, _ringSize);
        NativeMemory.AlignedFree(_bufRing);
        NativeMemory.AlignedFree(_buffers);
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial IntPtr Mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(IntPtr addr, nuint length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
