namespace Vaani.Gateway.Realtime;

/// <summary>
/// What an audio receive loop owes after handing a message to its session: the session's send when
/// it did not complete at once (the session's queue is full), and the pacing wait of a client ahead
/// of real time (<see cref="RealtimePacer"/>). A message may be handed over on the event loop as it
/// arrives (<see cref="ClientSocket.HandleBinaryInline"/>) or by the receive loop itself; either way
/// <see cref="Take"/> says whether the next message may be read at once, and when it may not, the
/// receive loop calls <see cref="CatchUpAsync"/> before reading on. One caller at a time: the inline
/// handler runs only while the receive loop waits for a message.
/// </summary>
public sealed class AudioIntake(TimeSpan burst, TimeProvider time)
{
    private readonly RealtimePacer _pacer = new(burst, time);
    private ValueTask _send;
    private TimeSpan _wait;

    /// <summary>True once <see cref="Take"/> returned false, until <see cref="CatchUpAsync"/>.</summary>
    public bool Behind { get; private set; }

    /// <summary>
    /// Records a message's <paramref name="send"/> to the session and the <paramref name="duration"/>
    /// of its audio. True when reading can go on at once; false when <see cref="CatchUpAsync"/> must
    /// come first.
    /// </summary>
    public bool Take(ValueTask send, TimeSpan duration)
    {
        var wait = _pacer.Add(duration);
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
