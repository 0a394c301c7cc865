using System.Threading.Channels;

namespace Vaani.Workers.Protocol;

/// <summary>
/// The single writer of a connection: senders enqueue frames into a bounded queue (they wait when
/// it is full, which is the connection's backpressure) and one pump writes them in order,
/// flushing only when the queue runs empty so bursts go out in few syscalls.
/// </summary>
internal sealed class FrameWriter
{
    private readonly Channel<Frame> _queue;
    private readonly Stream _stream;
    private readonly Func<Exception> _closedError;

    /// <param name="stream">The connection stream; the writer never disposes it.</param>
    /// <param name="capacity">Frames that may wait; senders beyond it wait.</param>
    /// <param name="closedError">The exception senders get once the writer is closed or failed.</param>
    public FrameWriter(Stream stream, int capacity, Func<Exception> closedError)
    {
        _stream = new BufferedStream(stream, 64 * 1024);
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

    /// <summary>Stops accepting frames; queued frames are still written.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private async Task PumpAsync()
    {
        try
        {
            var reader = _queue.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var frame))
                    await FrameCodec.WriteAsync(_stream, frame, CancellationToken.None).ConfigureAwait(false);
                await _stream.FlushAsync().ConfigureAwait(false);
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
