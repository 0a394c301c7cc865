namespace Vaani.Workers.Supervision;

/// <summary>
/// Restart delays for a crashing worker: exponential from <see cref="Initial"/> by
/// <see cref="Multiplier"/>, capped at <see cref="Max"/>, then shortened by up to
/// <see cref="Jitter"/> (a fraction) at random so workers that died together do not restart in lockstep.
/// </summary>
public sealed record BackoffPolicy
{
    public TimeSpan Initial { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan Max { get; init; } = TimeSpan.FromSeconds(30);
    public double Multiplier { get; init; } = 2.0;
    /// <summary>In [0, 1): the delay is multiplied by (1 − Jitter × r), r uniform in [0, 1).</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>The delay before restart number <paramref name="failures"/> in a row (1 = first), given a uniform <paramref name="random"/> in [0, 1).</summary>
    public TimeSpan DelayFor(int failures, double random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);
        var exponential = Initial.TotalMilliseconds * Math.Pow(Multiplier, failures - 1);
        var capped = Math.Min(exponential, Max.TotalMilliseconds);
        // Whole milliseconds: timers (Task.Delay included) work at that resolution, so the reported
        // delay is exactly the one waited.
        var jittered = Math.Round(capped * (1 - Jitter * Math.Clamp(random, 0, 1)));
        return TimeSpan.FromTicks((long)jittered * TimeSpan.TicksPerMillisecond);
    }
}
