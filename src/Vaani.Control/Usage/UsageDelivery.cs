using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vaani.Control.Domain;

namespace Vaani.Control.Usage;

/// <summary>Settings of <see cref="UsageDelivery"/>.</summary>
public sealed record UsageDeliveryOptions
{
    public int BatchSize { get; init; } = 500;

    /// <summary>Deadline of one delivery attempt.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per round before waiting for the next round (events stay spooled).</summary>
    public int MaxAttempts { get; init; } = 6;

    public TimeSpan BaseBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between rounds when nothing new is appended.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Moves spooled usage to an <see cref="IUsageSink"/> in batches, in the background. Each batch is
/// retried with exponential backoff and jitter (a random 50–100 % of the cap) and a deadline per attempt; only after the sink
/// accepted a batch is the spool checkpoint advanced. Delivery is at-least-once; the sink's
/// idempotent insert (by event id) makes the count exactly-once.
/// </summary>
public sealed partial class UsageDelivery : IAsyncDisposable
{
    private readonly UsageSpool _spool;
    private readonly IUsageSink _sink;
    private readonly TimeProvider _time;
    private readonly UsageDeliveryOptions _options;
    private readonly Action<IReadOnlyList<UsageEvent>>? _onDelivered;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <param name="onDelivered">Called after each acknowledged batch, e.g. <see cref="Admission.QuotaTracker.MarkDelivered"/>.</param>
    public UsageDelivery(UsageSpool spool, IUsageSink sink, TimeProvider? time = null, UsageDeliveryOptions? options = null,
        Action<IReadOnlyList<UsageEvent>>? onDelivered = null, ILogger<UsageDelivery>? logger = null)
    {
        _spool = spool;
        _sink = sink;
        _time = time ?? TimeProvider.System;
        _options = options ?? new UsageDeliveryOptions();
        _onDelivered = onDelivered;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Events delivered (acknowledged) since start.</summary>
    public long DeliveredEvents => Interlocked.Read(ref _delivered);

    private long _delivered;

    /// <summary>Failed attempts since start.</summary>
    public long FailedAttempts => Interlocked.Read(ref _failures);

    private long _failures;

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    /// <summary>
    /// Delivers everything currently spooled, batch by batch. Returns the number of events
    /// delivered; stops early (returning what was delivered) when a batch fails all its attempts.
    /// </summary>
    public async Task<int> DeliverPendingAsync(CancellationToken ct = default)
    {
        var total = 0;
        while (true)
        {
            var batch = _spool.ReadPending(_options.BatchSize);
            if (batch.IsEmpty) return total;
            if (batch.Events.Count > 0 && !await DeliverWithRetriesAsync(batch.Events, ct)) return total;
            _spool.Acknowledge(batch);
            total += batch.Events.Count;
            Interlocked.Add(ref _delivered, batch.Events.Count);
            _onDelivered?.Invoke(batch.Events);
        }
    }

    /// <summary>The wait before retry number <paramref name="attempt"/> (1-based): a random 50–100 % of an exponentially growing cap.</summary>
    internal static TimeSpan Backoff(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, double random01)
    {
        var cap = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(cap * (0.5 + (random01 / 2)));
    }

    private async Task<bool> DeliverWithRetriesAsync(IReadOnlyList<UsageEvent> events, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var deadline = new CancellationTokenSource(_options.AttemptTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, ct);
            try
            {
                await _sink.DeliverAsync(events, linked.Token);
                return true;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref _failures);
                LogAttemptFailed(_logger, events.Count, attempt, ex);
                if (attempt >= _options.MaxAttempts) return false;
            }

            await Task.Delay(Backoff(attempt, _options.BaseBackoff, _options.MaxBackoff, Random.Shared.NextDouble()), _time, ct);
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await DeliverPendingAsync(ct);
                await _spool.WaitForAppendAsync(_options.PollInterval, _time, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogRoundFailed(_logger, ex);
                await Task.Delay(_options.PollInterval, _time, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 7201, Level = LogLevel.Warning, Message = "Usage delivery of {Count} events failed (attempt {Attempt})")]
    private static partial void LogAttemptFailed(ILogger logger, int count, int attempt, Exception error);

    [LoggerMessage(EventId = 7202, Level = LogLevel.Error, Message = "Usage delivery round failed")]
    private static partial void LogRoundFailed(ILogger logger, Exception error);
}
