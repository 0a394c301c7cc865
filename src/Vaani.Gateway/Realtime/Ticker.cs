namespace Vaani.Gateway.Realtime;

/// <summary>
/// One coarse timer for the periodic checks of every open connection (idle timeouts, keepalives).
/// A timer per connection would wake the runtime's timer thread, and a thread-pool thread after it,
/// once per connection per period: thousands of wake-ups a second with thousands of streams, each
/// costing more than the check itself. Here one tick runs all checks in turn, and no timer runs
/// while none is registered. Checks must be short, must not block and must not throw; they run on
/// the timer's thread (the gateway's event loop, else a thread-pool thread), outside the ticker's
/// lock, so they may register and unregister checks.
/// </summary>
public sealed class Ticker : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Check> _checks = [];
    private readonly ITimer _timer;
    private readonly TimeProvider _time;
    private Check[] _snapshot = [];
    private bool _running;
    private bool _disposed;

    /// <param name="period">Time between ticks: the resolution of every check.</param>
    public Ticker(TimeSpan period, TimeProvider? time = null)
    {
        if (period <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(period), period, "the period must be positive");
        Period = period;
        _time = time ?? TimeProvider.System;
        _timer = _time.CreateTimer(static s => ((Ticker)s!).Tick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Time between ticks.</summary>
    public TimeSpan Period { get; }

    /// <summary>Checks registered now.</summary>
    public int Count
    {
        get { lock (_gate) return _checks.Count; }
    }

    /// <summary>
    /// Calls <paramref name="check"/> with the tick's timestamp (<see cref="TimeProvider.GetTimestamp"/>)
    /// once per period, first one period from now, until the returned registration is disposed.
    /// </summary>
    public IDisposable Register(Action<long> check)
    {
        ArgumentNullException.ThrowIfNull(check);
        var registration = new Check(this, check);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            registration.Index = _checks.Count;
            _checks.Add(registration);
            if (!_running)
            {
                _running = true;
                _timer.Change(Period, Timeout.InfiniteTimeSpan);
            }
        }
        return registration;
    }

    private void Remove(Check check)
    {
        lock (_gate)
        {
            int i = check.Index;
            if (i < 0) return;
            // Swap with the last: removal is O(1), order does not matter.
            var last = _checks[^1];
            _checks[i] = last;
            last.Index = i;
            _checks.RemoveAt(_checks.Count - 1);
            check.Index = -1;
        }
    }

    private void Tick()
    {
        Check[] checks;
        int count;
        lock (_gate)
        {
            count = _checks.Count;
            if (count == 0 || _disposed)
            {
                // Stopped lazily, on the first tick with nothing to check: connections that come and
                // go within a period never start and stop the timer over and over.
                _running = false;
                return;
            }
            if (_snapshot.Length < count) _snapshot = new Check[Math.Max(count, _snapshot.Length * 2)];
            checks = _snapshot;
            _checks.CopyTo(checks);
        }
        // The timer is re-armed only after a tick, so ticks never overlap and the snapshot array is
        // this tick's alone. A check removed after the copy is skipped, unless it is removed while running.
        var now = _time.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            var check = checks[i];
            checks[i] = null!;
            if (Volatile.Read(ref check.Index) >= 0) check.Run(now);
        }
        lock (_gate)
        {
            if (!_disposed) _timer.Change(Period, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _checks.Clear();
        }
        _timer.Dispose();
    }

    private sealed class Check(Ticker owner, Action<long> run) : IDisposable
    {
        public int Index;

        public void Run(long now) => run(now);

        public void Dispose() => owner.Remove(this);
    }
}
