using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Vaani.Control.Snapshots;

/// <summary>Settings of a <see cref="SnapshotSource"/>.</summary>
public sealed record SnapshotSourceOptions
{
    /// <summary>Time between background loads (also the retry interval after a failure).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Deadline of one load.</summary>
    public TimeSpan LoadTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Holds the data plane's current <see cref="ControlSnapshot"/> and refreshes it in the background.
/// Readers get <see cref="Current"/> — a volatile read, never a lock or an I/O call. A failed load
/// keeps the last good snapshot (fail-static); <see cref="Staleness"/> says how old it is, and
/// <see cref="Auth.KeyAuthenticator"/> stops admitting beyond its maximum staleness.
/// </summary>
public sealed partial class SnapshotSource : IAsyncDisposable
{
    private readonly ISnapshotLoader _loader;
    private readonly TimeProvider _time;
    private readonly SnapshotSourceOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _loadGate = new(1, 1);
    private volatile ControlSnapshot _current = ControlSnapshot.Empty;
    private volatile Exception? _lastError;
    private ITimer? _timer;
    private int _consecutiveFailures;

    public SnapshotSource(ISnapshotLoader loader, TimeProvider? time = null, SnapshotSourceOptions? options = null, ILogger<SnapshotSource>? logger = null)
    {
        _loader = loader;
        _time = time ?? TimeProvider.System;
        _options = options ?? new SnapshotSourceOptions();
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The last good snapshot (<see cref="ControlSnapshot.Empty"/> before the first successful load).</summary>
    public ControlSnapshot Current => _current;

    /// <summary>control_version of <see cref="Current"/> (-1 before the first load).</summary>
    public long Version => _current.Version;

    /// <summary>Time since the current snapshot was last confirmed by a successful load (<see cref="TimeSpan.MaxValue"/> before the first).</summary>
    public TimeSpan Staleness => _current.IsLoaded ? _time.GetUtcNow() - _current.ConfirmedAt : TimeSpan.MaxValue;

    /// <summary>The error of the last failed load, null after a success.</summary>
    public Exception? LastError => _lastError;

    /// <summary>Raised after a load produced a snapshot with a different version.</summary>
    public event Action<ControlSnapshot>? Changed;

    /// <summary>Starts periodic background refresh (first load immediately).</summary>
    public void Start()
    {
        _timer ??= _time.CreateTimer(_ => _ = RefreshAsync(), null, TimeSpan.Zero, _options.RefreshInterval);
    }

    /// <summary>
    /// Asks for a load now, e.g. on a PostgreSQL NOTIFY or an unknown key at admission; does not
    /// wait for it. The load starts on the thread pool, never on the caller's thread: callers include
    /// the gateway's socket event loop, and a load (a store query, or parsing a large snapshot) must
    /// not hold up the streams that loop serves.
    /// </summary>
    public void RequestRefresh() => ThreadPool.UnsafeQueueUserWorkItem(static source => _ = source.RefreshAsync(), this, preferLocal: false);

    /// <summary>
    /// Like <see cref="RequestRefresh"/>, at most once per <paramref name="minInterval"/> (default 1 s):
    /// for triggers a client controls, such as an unknown key that may have just been created.
    /// </summary>
    public void RequestRefreshThrottled(TimeSpan? minInterval = null)
    {
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastRequested);
        if (last != 0 && _time.GetElapsedTime(last, now) < (minInterval ?? TimeSpan.FromSeconds(1))) return;
        if (Interlocked.CompareExchange(ref _lastRequested, now, last) == last) RequestRefresh();
    }

    private long _lastRequested;

    /// <summary>Loads once; true when a snapshot was loaded. Concurrent calls share the gate (at most one load runs).</summary>
    public async Task<bool> RefreshAsync()
    {
        if (_stop.IsCancellationRequested) return false;
        if (!await _loadGate.WaitAsync(0)) return false;
        try
        {
            using var deadline = new CancellationTokenSource(_options.LoadTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, _stop.Token);
            var loaded = await _loader.LoadAsync(linked.Token);
            var previous = _current;
            _current = loaded with { ConfirmedAt = _time.GetUtcNow() };
            _lastError = null;
            _consecutiveFailures = 0;
            if (loaded.Version != previous.Version) Changed?.Invoke(_current);
            return true;
        }
        catch (Exception ex) when (!_stop.IsCancellationRequested)
        {
            _lastError = ex;
            var failures = ++_consecutiveFailures;
            LogLoadFailed(_logger, failures, _current.Version, ex);
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            _loadGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_timer is not null) await _timer.DisposeAsync();
        // _stop is left undisposed on purpose: a load still in flight may link to its token.
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Control snapshot load failed ({Failures} in a row); keeping version {Version}")]
    private static partial void LogLoadFailed(ILogger logger, int failures, long version, Exception error);
}
