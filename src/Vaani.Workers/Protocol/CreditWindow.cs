namespace Vaani.Workers.Protocol;

/// <summary>
/// Per-channel flow control for a data stream (STT audio G→W, TTS audio W→G): the sender may have
/// at most <c>window</c> bytes that the receiver has not yet consumed. The receiver returns
/// <see cref="FrameType.Credit"/> frames as its engine or consumer takes the data, so one slow
/// session waits on its own window and never blocks the connection's shared reader.
/// </summary>
/// <remarks>
/// The available credit changes atomically, without the lock, so <see cref="TryTake"/> (once per
/// audio frame) takes none; the lock orders a waiter's registration against <see cref="Release"/>'s
/// wake-up, which looks for a waiter only after its credit is visible.
/// </remarks>
internal sealed class CreditWindow
{
    private readonly Lock _gate = new();
    private readonly int _window;
    private long _available;
    private TaskCompletionSource? _waiter;
    private volatile Exception? _fault;

    public CreditWindow(int window)
    {
        _window = window;
        _available = window;
    }

    /// <summary>Bytes sent and not yet credited back.</summary>
    public long InFlight => _window - Volatile.Read(ref _available);

    /// <summary>The window size in bytes; no single take may exceed it.</summary>
    public int Size => _window;

    /// <summary>Waits until <paramref name="bytes"/> of credit are available, then takes them.</summary>
    public async ValueTask TakeAsync(int bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, _window);
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_fault is { } fault)
                    throw fault;
                if (TryTakeAvailable(bytes, out _))
                    return;
                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes <paramref name="bytes"/> of credit if they are available now; false (nothing taken)
    /// when not, or when the window has failed. <paramref name="wasIdle"/> tells whether nothing
    /// was in flight before.
    /// </summary>
    public bool TryTake(int bytes, out bool wasIdle)
    {
        if (_fault is not null)
        {
            wasIdle = Volatile.Read(ref _available) == _window;
            return false;
        }
        return TryTakeAvailable(bytes, out wasIdle);
    }

    private bool TryTakeAvailable(int bytes, out bool wasIdle)
    {
        while (true)
        {
            long available = Volatile.Read(ref _available);
            wasIdle = available == _window;
            if (available < bytes)
                return false;
            if (Interlocked.CompareExchange(ref _available, available - bytes, available) == available)
                return true;
        }
    }

    /// <summary>Returns credit; false when the peer credited more than it was sent (a protocol error).</summary>
    public bool Release(long bytes)
    {
        if (Interlocked.Add(ref _available, bytes) > _window)
            return false;
        TaskCompletionSource? wake;
        lock (_gate)
        {
            wake = _waiter;
            _waiter = null;
        }
        wake?.TrySetResult();
        return true;
    }

    /// <summary>Fails current and future waits with <paramref name="error"/>.</summary>
    public void Fault(Exception error)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            _fault ??= error;
            wake = _waiter;
            _waiter = null;
        }
        wake?.TrySetResult();
    }
}
