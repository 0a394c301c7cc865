using Vaani.Audio;

namespace Vaani.Gateway.Realtime;

/// <summary>
/// What an audio receive loop owes after handing a message to its session: the session's send when
/// it did not complete at once (the session's queue is full), and the pacing wait of a client ahead
/// of real time. A client may send faster than real time up to a burst; beyond it, the next read is
/// delayed by the excess, which backpressures the client through TCP. A message may be handed over
/// on the event loop as it arrives (<see cref="ClientSocket.HandleBinaryInline"/>) or by the receive
/// loop itself; either way <see cref="Take"/> says whether the next message may be read at once, and
/// when it may not, the receive loop calls <see cref="CatchUpAsync"/> before reading on. One caller
/// at a time: the inline handler runs only while the receive loop waits for a message. The stream's
/// pacing and its duration accounting live here together, one object touched per audio message;
/// a receive loop may derive from it to keep there, too, what its frame handler needs.
/// </summary>
public class AudioIntake(TimeSpan burst, TimeProvider time)
{
    private long _start = -1;  // when the first audio arrived
    private TimeSpan _audio;   // audio received since
    private int _remainder;    // bytes of a partial frame carried to the next message
    private ValueTask _send;
    private TimeSpan _wait;
    private readonly int _bytesPerFrame;  // of the format given at construction; 0: none given
    private readonly int _bytesPerSecond;

    /// <summary>An intake for audio of <paramref name="format"/> only (<see cref="Take(ValueTask, int, long)"/>): its sizes are read once, here.</summary>
    public AudioIntake(TimeSpan burst, TimeProvider time, AudioFormat format)
        : this(burst, time)
    {
        if (!format.IsFixedSize) throw new ArgumentException($"{format} has no fixed byte rate", nameof(format));
        (_bytesPerFrame, _bytesPerSecond) = (format.BytesPerFrame, format.BytesPerSecond);
    }

    /// <summary>The clock the intake's timestamps are of.</summary>
    protected TimeProvider Time => time;

    /// <summary>True once a take returned false, until <see cref="CatchUpAsync"/>.</summary>
    public bool Behind { get; private set; }

    /// <summary>
    /// Records a message's <paramref name="send"/> to the session and its <paramref name="bytes"/> of
    /// <paramref name="format"/> audio, received at <paramref name="timestamp"/> (of the intake's
    /// time provider). A message need not hold whole frames: the bytes of a partial frame count
    /// with the next message. True when reading can go on at once; false when
    /// <see cref="CatchUpAsync"/> must come first.
    /// </summary>
    public bool Take(ValueTask send, int bytes, AudioFormat format, long timestamp)
    {
        long total = _remainder + (long)bytes;
        int frame = format.BytesPerFrame;
        _remainder = (int)(total % frame);
        return Take(send, format.DurationOf(total - _remainder), timestamp);
    }

    /// <summary>
    /// <see cref="Take(ValueTask, int, AudioFormat, long)"/> for the format this intake was made
    /// with: per message it reads only the intake itself, not the format.
    /// </summary>
    public bool Take(ValueTask send, int bytes, long timestamp)
    {
        if (_bytesPerFrame == 0) throw new InvalidOperationException("this intake was made without a format: pass the message's");
        long total = _remainder + (long)bytes;
        _remainder = (int)(total % _bytesPerFrame);
        return Take(send, TimeSpan.FromTicks((total - _remainder) * TimeSpan.TicksPerSecond / _bytesPerSecond), timestamp);
    }

    private bool Take(ValueTask send, TimeSpan duration, long timestamp)
    {
        if (_start < 0) _start = timestamp;
        _audio += duration;
        var ahead = _audio - time.GetElapsedTime(_start, timestamp);
        var wait = ahead > burst ? ahead - burst : TimeSpan.Zero;
        if (send.IsCompletedSuccessfully && wait <= TimeSpan.Zero)
        {
            send.GetAwaiter().GetResult();
            return true;
        }
        (_send, _wait, Behind) = (send, wait, true);
        return false;
    }

    /// <summary>Awaits the send that did not complete, then the pacing wait.</summary>
    public async ValueTask CatchUpAsync(CancellationToken cancellationToken)
    {
        var send = _send;
        _send = default;
        Behind = false;
        await send.ConfigureAwait(false);
        if (_wait > TimeSpan.Zero) await Task.Delay(_wait, time, cancellationToken).ConfigureAwait(false);
    }
}
