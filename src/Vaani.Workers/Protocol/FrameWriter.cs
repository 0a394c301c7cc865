using System.Threading.Channels;

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
/// </summary>
internal sealed class FrameWriter
{
    /// <summary>Largest payload <see cref="TryWriteNow"/> takes; larger frames are queued.</summary>
    public const int MaxDirectPayload = 16 * 1024;

    private readonly Channel<Frame> _queue;
    private readonly Stream _stream;
    private readonly INonBlockingStream? _direct;
    private readonly Stream _raw;
    private readonly Func<Exception> _closedError;
    private readonly SemaphoreSlim _writeLock = new(1, 1); // held by the pump from dequeue to flush, or by a direct write
    private byte[]? _scratch;                              // a direct write's frame, under the lock

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
        try
        {
            await _queue.Writer.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw _closedError();
        }
    }

    /// <summary>Enqueues a frame if there is room; false when full or closed (used for best-effort frames).</summary>
    public bool TrySend(Frame frame) => _queue.Writer.TryWrite(frame);

    /// <summary>
    /// Writes a frame at once, without waiting, when nothing is queued or being written and the
    /// socket takes it; false (nothing written) otherwise — the caller then uses <see cref="SendAsync"/>.
    /// A frame the socket takes only in part is finished in the background before anything else.
    /// </summary>
    public bool TryWriteNow(FrameType type, uint channel, ReadOnlySpan<byte> payload)
    {
        if (_direct is null || payload.Length > MaxDirectPayload || _queue.Reader.Count != 0 || _queue.Reader.Completion.IsCompleted)
            return false;
        if (!_writeLock.Wait(0))
            return false;
        bool release = true;
        try
        {
            if (_queue.Reader.Count != 0) // queued meanwhile: it goes first
                return false;
            var frame = (_scratch ??= new byte[Frame.HeaderSize + MaxDirectPayload]).AsSpan(0, Frame.HeaderSize + payload.Length);
            FrameCodec.WriteHeader(frame, type, channel, payload.Length);
            payload.CopyTo(frame[Frame.HeaderSize..]);
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
                        await FrameCodec.WriteAsync(_stream, frame, CancellationToken.None).ConfigureAwait(false);
                    await _stream.FlushAsync().ConfigureAwait(false);
                }
                finally
                {
                    _writeLock.Release();
                }
            }
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
