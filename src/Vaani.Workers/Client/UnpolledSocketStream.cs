using System.Net.Sockets;

namespace Vaani.Workers.Client;

/// <summary>
/// A connected Unix domain socket used without the runtime's epoll registration. Reads block in
/// poll(2) on the caller's thread (the connection's dedicated reader thread); writes are
/// non-blocking sends that wait in poll(2) on a pool thread only while the peer's buffer is full.
/// </summary>
/// <remarks>
/// Why: a socket registered with epoll gets an EPOLLOUT edge every time the peer reads from it
/// (Linux wakes the writer's waiters whenever a Unix socket becomes writable again), so relaying a
/// 20 ms audio frame to a worker woke an epoll thread a second time for nothing once the worker had
/// read it. Never using the socket asynchronously keeps it out of epoll altogether.
/// </remarks>
internal sealed class UnpolledSocketStream : Stream
{
    /// <summary>How long one poll(2) waits before cancellation and disposal are checked again.</summary>
    private const int PollSliceMicroseconds = 200_000;

    private readonly Socket _socket;
    private volatile bool _disposed;

    /// <param name="socket">A connected stream socket; it is switched to non-blocking mode and owned by this stream.</param>
    public UnpolledSocketStream(Socket socket)
    {
        _socket = socket;
        _socket.Blocking = false;
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Blocks until at least one byte is read (0 at end of stream).</summary>
    public override int Read(Span<byte> buffer) => Read(buffer, CancellationToken.None);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count), CancellationToken.None);

    /// <summary>Completes synchronously: it blocks the calling thread until data arrives (see the remarks).</summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try { return ValueTask.FromResult(Read(buffer.Span, cancellationToken)); }
        catch (Exception ex) { return ValueTask.FromException<int>(ex); }
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

    /// <summary>Sends without blocking; only when the peer's buffer is full does it wait, on a pool thread.</summary>
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
            await Task.Run(() => _socket.Poll(PollSliceMicroseconds, SelectMode.SelectWrite), cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

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
            _disposed = true;
            try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
            _socket.Dispose();
        }
        base.Dispose(disposing);
    }
}
