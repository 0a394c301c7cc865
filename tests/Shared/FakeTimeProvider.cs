namespace Vaani.Testing;

/// <summary>
/// Manual time for tests: timers fire only inside <see cref="Advance"/>, in due order, except that
/// a timer set to fire after zero fires at once, inside the call that set it (as a real timer
/// would, soon after). (Microsoft.Extensions.TimeProvider.Testing is not available from the package source.)
/// </summary>
internal sealed class FakeTimeProvider(DateTimeOffset? start = null) : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<FakeTimer> _timers = [];
    private readonly List<(Func<TimeSpan, bool> Match, TaskCompletionSource Done)> _waiters = [];
    private DateTimeOffset _now = start ?? new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
            return _now;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FakeTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Completes once a timer is scheduled to fire exactly <paramref name="dueIn"/> from now.</summary>
    public Task WaitForTimerAsync(TimeSpan dueIn)
    {
        lock (_gate)
        {
            if (_timers.Any(t => t.DueAt - _now == dueIn))
                return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((d => d == dueIn, done));
            return done.Task;
        }
    }

    /// <summary>Moves time forward, firing due timers on the calling thread.</summary>
    public void Advance(TimeSpan by)
    {
        DateTimeOffset target;
        lock (_gate)
            target = _now + by;
        while (true)
        {
            FakeTimer? next;
            lock (_gate)
            {
                next = _timers.Where(t => t.DueAt <= target).MinBy(t => t.DueAt);
                if (next is null)
                {
                    _now = target;
                    return;
                }
                _now = next.DueAt;
                if (next.Period is { } period && period > TimeSpan.Zero)
                    next.DueAt += period;
                else
                    _timers.Remove(next);
            }
            next.Fire();
        }
    }

    internal void Schedule(FakeTimer timer, TimeSpan due, TimeSpan period)
    {
        var fired = new List<TaskCompletionSource>();
        lock (_gate)
        {
            _timers.Remove(timer);
            if (due == Timeout.InfiniteTimeSpan)
                return;
            timer.DueAt = _now + due;
            timer.Period = period == Timeout.InfiniteTimeSpan ? null : period;
            _timers.Add(timer);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(due))
                {
                    fired.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }
        foreach (var done in fired)
            done.TrySetResult();
    }

    internal void Remove(FakeTimer timer)
    {
        lock (_gate)
            _timers.Remove(timer);
    }

    internal sealed class FakeTimer(FakeTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset DueAt { get; set; }
        public TimeSpan? Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Schedule(this, dueTime, period);
            if (dueTime == TimeSpan.Zero)
                owner.Advance(TimeSpan.Zero);
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose() => owner.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
