namespace Vaani.Gateway.Realtime;

/// <summary>
/// Lets a client send audio faster than real time up to a burst, then paces it to real time by
/// delaying the next read (which backpressures the client through TCP).
/// </summary>
public sealed class RealtimePacer(TimeSpan burst, TimeProvider time)
{
    private long _start = -1;
    private TimeSpan _audio;

    /// <summary>Records <paramref name="duration"/> of received audio; returns how long to wait before reading more.</summary>
    public TimeSpan Add(TimeSpan duration)
    {
        if (_start < 0) _start = time.GetTimestamp();
        _audio += duration;
        var ahead = _audio - time.GetElapsedTime(_start);
        return ahead > burst ? ahead - burst : TimeSpan.Zero;
    }
}
