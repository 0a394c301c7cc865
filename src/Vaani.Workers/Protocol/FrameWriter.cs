using System.Threading.Channels;
using Vaani.Workers.Net;

namespace Vaani.Workers.Protocol;

/// <summary>
/// The single writer of a connection: senders enqueue frames into a bounded queue (they wait when
/// it is full, which is the connection's backpressure) and one pump writes them in order,
/// flushing only when the queue runs empty so bursts go out in few syscalls.
/// <para>
/// On a stream that can send without blocking (<see cref="INonBlockingStream"/>), a small frame
/// can skip the queue: <see cref="TryWriteNow"/> writes it in the caller's call, in one system call,
/// when nothing is queued or being written. Pump and direct writes take turns on one lock, so
/// frames never interleave.
/// </para>
/// <para>
/// On an <see cref="EventLoop"/>'s thread a direct write is corked instead: the frame is added to a
/// buffer that the loop sends when it has handled every event of its current wake-up. Audio frames
/// of many sessions that arrived together then reach the worker in one system call and wake it
/// once, not once per frame; no frame waits longer than the loop takes to handle the events it
/// woke up with. The cork holds the write lock until it is sent, so frames still never interleave.
/// </para>
/// </summary>
internal sealed class FrameWriter : ILoopFlush
{
    /// <summary>Largest payload <see cref="TryWriteNow"/> takes; larger frames are queued.</summary>
    public const int MaxDirectPayload = 16 * 1024;

    /// <summary>Bytes a cork holds at most; a frame that does not fit sends what is corked first.</summary>
    public const int CorkBytes = 64 * 1024;

    private readonly Channel<Frame> _queue;
    private readonly Stream _stream;
    private readonly INonBlockingStream? _direct;
    private readonly Stream _raw;
    private readonly Func<Exception> _closedError;
    private readonly SemaphoreSlim _writeLock = new(1, 1); // held by the pump from dequeue to flush, or by a direct write
    private byte[]? _scratch;                              // a direct write's frame or a cork's frames, under the lock
    private volatile EventLoop? _corkLoop;                 // set while that loop's thread holds the lock for a cork
    private int _corked;                                   // bytes of _scratch the cork holds
    private int _queued;                                   // frames handed to the queue and not yet taken by the pump (the channel's own count takes its lock)

    /// <param name="stream">The connection stream; the writer never disposes it.</param>
    /// <param name="capacity">Frames that may wait; senders beyond it wait.</param>
    /// <param name="closedError">The exception senders get once the writer is closed or failed.</param>
    public FrameWriter(Stream stream, int capacity, Func<Exception> closedError)
    {
        _stream = new BufferedStream(stream, 64 * 1024);
        _raw = stream;
        _direct = stream as INonBlockingStream;
        _closedError = closedError;
        _queue = Channel.CreateBounded<Frame>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
            // An idle pump resumes on the sender's thread and writes at once: no thread wake-up per
            // frame. The pump only encodes and writes; a socket that cannot take more makes it await.
            AllowSynchronousContinuations = true,
        });
        Completion = Task.Run(PumpAsync);
    }

    /// <summary>Completes when the pump stops: normally after <see cref="Complete"/>, faulted on an I/O error.</summary>
    public Task Completion { get; }

    /// <summary>Enqueues a frame, waiting while the queue is full.</summary>
    public async ValueTask SendAsync(Frame frame, CancellationToken cancellationToken)
    {
        if (frame.Payload.Length > Frame.MaxPayloadSize)
            throw new ProtocolException("frame_too_large", $"refusing to send a {frame.Type} frame of {frame.Payload.Length} bytes; the limit is {Frame.MaxPayloadSize} bytes");
        Interlocked.Increment(ref _queued);
        try
        {
            await _queue.Writer.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Interlocked.Decrement(ref _queued); // not queued after all
            if (ex is ChannelClosedException) throw _closedError();
            throw;
        }
    }

    /// <summary>Enqueues a frame if there is room; false when full or closed (used for best-effort frames).</summary>
    public bool TrySend(Frame frame)
    {
        Interlocked.Increment(ref _queued);
        if (_queue.Writer.TryWrite(frame)) return true;
        Interlocked.Decrement(ref _queued);
        return false;
    }

    /// <summary>
    /// Writes a frame at once, without waiting, when nothing is queued or being written and the
    /// socket takes it; false (nothing written) otherwise — the caller then uses <see cref="SendAsync"/>.
    /// A frame the socket takes only in part is finished in the background before anything else. On
    /// an event loop's thread the frame is corked: it leaves with the others written before the loop
    /// waits again.
    /// </summary>
    public bool TryWriteNow(FrameType type, uint channel, ReadOnlySpan<byte> payload)
    {
        if (_direct is null || payload.Length > MaxDirectPayload || Volatile.Read(ref _queued) != 0 || _queue.Reader.Completion.IsCompleted)
            return false;
        int length = Frame.HeaderSize + payload.Length;
        if (_corkLoop is { } corking && corking.IsOnLoop)
        {
            // This thread's cork holds the lock: add the frame, after sending what is corked when it is full.
            if (_corked + length > CorkBytes && !SendCorked())
                return false;
            Append(type, channel, payload);
            return true;
        }
        if (!_writeLock.Wait(0))
            return false;
        bool release = true;
        try
        {
            if (Volatile.Read(ref _queued) != 0) // queued meanwhile: it goes first
                return false;
            _corked = 0;
            Append(type, channel, payload);
            if (EventLoop.Current is { } loop)
            {
                _corkLoop = loop;
                loop.FlushAfterEvents(this);
                release = false;
                return true;
            }
            var frame = _scratch.AsSpan(0, _corked);
            _corked = 0;
            int sent = _direct.TrySendNow(frame);
            if (sent == frame.Length)
                return true;
            if (sent == 0)
                return false;
            // Partly sent: the rest must follow before any other frame, so the lock stays held until it has.
            release = false;
            _ = FinishAsync(frame[sent..].ToArray());
            return true;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            return false; // the queued path meets the same failure and fails the writer properly
        }
        finally
        {
            if (release)
                _writeLock.Release();
        }
    }

    /// <summary>Sends the cork: the loop has handled the events it woke up with.</summary>
    void ILoopFlush.Flush()
    {
        if (_corkLoop is not { } loop || !loop.IsOnLoop)
            return; // this cork was sent already (it filled up and the socket did not take all of it)
        if (SendCorked())
        {
            _corkLoop = null;
            _writeLock.Release();
        }
    }

    private void Append(FrameType type, uint channel, ReadOnlySpan<byte> payload)
    {
        var frame = (_scratch ??= new byte[CorkBytes]).AsSpan(_corked, Frame.HeaderSize + payload.Length);
        FrameCodec.WriteHeader(frame, type, channel, payload.Length);
        payload.CopyTo(frame[Frame.HeaderSize..]);
        _corked += frame.Length;
    }

    /// <summary>
    /// Sends what the cork holds, on its loop's thread. True when the socket took it all: the cork is
    /// empty and still holds the lock. False otherwise: the cork has ended, and the rest is written in
    /// the background, which releases the lock (or, the connection being broken, fails the writer).
    /// </summary>
    private bool SendCorked()
    {
        var corked = _scratch.AsSpan(0, _corked);
        int sent;
        try
        {
            sent = _direct!.TrySendNow(corked);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            _corkLoop = null;
            _queue.Writer.TryComplete(ex); // the pump rethrows it: the connection is lost
            _writeLock.Release();
            return false;
        }
        _corked = 0;
        if (sent == corked.Length)
            return true;
        _corkLoop = null;
        _ = FinishAsync(corked[sent..].ToArray());
        return false;
    }

    private async Task FinishAsync(byte[] rest)
    {
        try
        {
            await _raw.WriteAsync(rest).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _queue.Writer.TryComplete(ex); // the pump rethrows it: the connection is lost
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Stops accepting frames; queued frames are still written.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private async Task PumpAsync()
    {
        try
        {
            var reader = _queue.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                await _writeLock.WaitAsync().ConfigureAwait(false);
                try
                {
                    while (reader.TryRead(out var frame))
                    {
                        Interlocked.Decrement(ref _queued);
                        await FrameCodec.WriteAsync(_stream, frame, CancellationToken.None).ConfigureAwait(false);
                    }
                    await _stream.FlushAsync().ConfigureAwait(false);
                }
                finally
                {
                    _writeLock.Release();
                }
            }
            // A cork or the rest of a partly sent frame may still be on its way: done means written.
            await _writeLock.WaitAsync().ConfigureAwait(false);
            _writeLock.Release();
        }
        catch (Exception ex)
        {
            _queue.Writer.TryComplete(ex);
            // Drain so no sender stays blocked on a queue nobody reads any more.
            while (_queue.Reader.TryRead(out _)) { }
            throw;
        }
    }
}

/// <summary>A stream that can send without blocking: the bytes the socket took now, 0 when it took none.</summary>
internal interface INonBlockingStream
{
    /// <summary>Sends what the socket takes now; throws <see cref="IOException"/> when the connection is broken.</summary>
    int TrySendNow(ReadOnlySpan<byte> buffer);
}
