using System.Net.Sockets;
using Vaani.Workers.Net;

namespace Vaani.Workers.Client;

/// <summary>
/// A connected Unix domain socket used without the runtime's epoll registration. Reads block in
/// poll(2) on the caller's thread (the connection's dedicated reader thread), or, given an
/// <see cref="EventLoop"/>, wait on that loop for reads only and continue on its thread; writes are
/// non-blocking sends, and while the peer's buffer is full the writer awaits a thread of this
/// stream's own that waits in poll(2) (started on the first full buffer), never a pool thread: a
/// stalled worker must not take threads from the pool the gateway's requests and timers run on.
/// </summary>
/// <remarks>
/// Why: a socket registered with epoll gets an EPOLLOUT edge every time the peer reads from it
/// (Linux wakes the writer's waiters whenever a Unix socket becomes writable again), so relaying a
/// 20 ms audio frame to a worker woke an epoll thread a second time for nothing once the worker had
/// read it. Never using the socket asynchronously keeps it out of epoll altogether.
/// </remarks>
internal sealed class UnpolledSocketStream : Stream, Protocol.INonBlockingStream
{
    /// <summary>How long one poll(2) waits before cancellation and disposal are checked again.</summary>
    private const int PollSliceMicroseconds = 200_000;

    private readonly Socket _socket;
    private readonly SocketWatch? _watch;
    private bool _drained; // the last read was short: wait on the loop before the next
    private volatile bool _disposed;
    private readonly Lock _waitGate = new();
    private readonly SemaphoreSlim _waitRequested = new(0);
    private TaskCompletionSource? _writable; // the write wait in progress, completed by the waiter thread
    private Thread? _waiter;

    /// <param name="socket">A connected stream socket; it is switched to non-blocking mode and owned by this stream.</param>
    /// <param name="loop">
    /// The event loop whose thread reads wait on; null: reads block the caller's thread in poll(2).
    /// The loop watches reads only (<see cref="EventLoop.Watch"/>: a Unix socket watched for writes
    /// would wake the loop every time the worker takes a frame).
    /// </param>
    public UnpolledSocketStream(Socket socket, EventLoop? loop = null)
    {
        _socket = socket;
        _socket.Blocking = false;
        _watch = loop?.Watch(socket, writes: false);
    }

    /// <summary>True when reads wait on an event loop instead of blocking the caller.</summary>
    public bool ReadsOnLoop => _watch is not null;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Blocks until at least one byte is read (0 at end of stream).</summary>
    public override int Read(Span<byte> buffer) => Read(buffer, CancellationToken.None);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count), CancellationToken.None);

    /// <summary>
    /// On an event loop: returns what the socket holds, or waits on the loop and continues there.
    /// Without one it completes synchronously, blocking the calling thread until data arrives.
    /// </summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_watch is not null) return ReadOnLoopAsync(buffer, cancellationToken);
        try { return ValueTask.FromResult(Read(buffer.Span, cancellationToken)); }
        catch (Exception ex) { return ValueTask.FromException<int>(ex); }
    }

    private async ValueTask<int> ReadOnLoopAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = TryReceive(buffer.Span);
            if (n >= 0) return n;
            var wait = WaitReadableAsync();
            if (!wait.IsCompleted)
            {
                using (cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(static w => ((SocketWatch)w!).WakeReader(), _watch) : default)
                    await wait.ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// One non-blocking receive: the bytes read (0 at end of stream), or −1 when the socket has none
    /// now, and then <see cref="WaitReadableAsync"/> comes next. After a short read (edge-triggered:
    /// the socket is empty) it returns −1 without a system call.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The stream was disposed (the connection failed).</exception>
    internal int TryReceive(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_drained) return -1;
        int n = _socket.Receive(buffer, SocketFlags.None, out var error);
        if (error == SocketError.Success)
        {
            _drained = n < buffer.Length;
            return n;
        }
        if (error != SocketError.WouldBlock) throw new IOException($"reading from the worker socket failed: {error}", new SocketException((int)error));
        _drained = true;
        return -1;
    }

    /// <summary>
    /// Completes when the socket may have data, or the stream is disposed (the next
    /// <see cref="TryReceive"/> then throws). On an event loop it continues on the loop's thread and
    /// allocates nothing; without one it blocks the caller in poll(2) and returns completed.
    /// </summary>
    internal ValueTask WaitReadableAsync()
    {
        _drained = false;
        if (_watch is not null) return _watch.WaitReadableAsync();
        while (!_disposed && !_socket.Poll(PollSliceMicroseconds, SelectMode.SelectRead)) { }
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The callback form of <see cref="WaitReadableAsync"/> for a reader on the loop: false when the
    /// socket may have data now (receive again; without a loop, after blocking in poll(2) until it
    /// may); true when <paramref name="handler"/> will run on the loop's thread once it may, or once
    /// the stream is disposed (<see cref="SocketWatch.TryArmReadable"/>).
    /// </summary>
    internal bool TryArmReadable(Action handler)
    {
        _drained = false;
        if (_watch is not null) return _watch.TryArmReadable(handler);
        while (!_disposed && !_socket.Poll(PollSliceMicroseconds, SelectMode.SelectRead)) { }
        return false;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Read(Span<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cancellationToken.ThrowIfCancellationRequested();
            int n = _socket.Receive(buffer, SocketFlags.None, out var error);
            if (error == SocketError.Success) return n;
            if (error != SocketError.WouldBlock) throw new IOException($"reading from the worker socket failed: {error}", new SocketException((int)error));
            _socket.Poll(PollSliceMicroseconds, SelectMode.SelectRead);
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = TrySend(buffer);
            if (n > 0) buffer = buffer[n..];
            else _socket.Poll(PollSliceMicroseconds, SelectMode.SelectWrite);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>
    /// Sends without blocking; only when the peer's buffer is full does it wait, on this stream's
    /// waiter thread. One write at a time (the connection has a single writer).
    /// </summary>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            int n = TrySend(buffer.Span);
            if (n > 0)
            {
                buffer = buffer[n..];
                continue;
            }
            cancellationToken.ThrowIfCancellationRequested();
            await WaitWritableAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Completes when the socket can take more bytes (or is closed: the next send then reports it).</summary>
    private Task WaitWritableAsync()
    {
        var writable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waitGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _writable = writable;
            if (_waiter is null)
            {
                _waiter = new Thread(WaitLoop) { IsBackground = true, Name = "vaani worker socket writer" };
                _waiter.Start();
            }
        }
        _waitRequested.Release();
        return writable.Task;
    }

    private void WaitLoop()
    {
        while (true)
        {
            _waitRequested.Wait();
            TaskCompletionSource? writable;
            lock (_waitGate) writable = _writable;
            if (_disposed)
            {
                writable?.TrySetException(new ObjectDisposedException(nameof(UnpolledSocketStream)));
                return;
            }
            try
            {
                while (!_disposed && !_socket.Poll(PollSliceMicroseconds, SelectMode.SelectWrite)) { }
                writable?.TrySetResult();
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
            {
                writable?.TrySetResult(); // the send that follows reports the closed socket
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    int Protocol.INonBlockingStream.TrySendNow(ReadOnlySpan<byte> buffer) => TrySend(buffer);

    /// <summary>Bytes sent, or 0 when the socket cannot take any now.</summary>
    private int TrySend(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int n = _socket.Send(buffer, SocketFlags.None, out var error);
        if (error == SocketError.Success) return n;
        if (error == SocketError.WouldBlock) return 0;
        throw new IOException($"writing to the worker socket failed: {error}", new SocketException((int)error));
    }

    public override void Flush() { }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            lock (_waitGate) _disposed = true;
            _waitRequested.Release(); // ends the waiter thread, if any
            try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
            _watch?.Dispose(); // a read waiting on the loop completes and sees the disposal
            _socket.Dispose();
        }
        base.Dispose(disposing);
    }
}
