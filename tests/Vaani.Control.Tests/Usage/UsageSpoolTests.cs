using Vaani.Control.Admin;
using Vaani.Control.Admission;
using Vaani.Control.Domain;
using Vaani.Control.Store;
using Vaani.Control.Tests.Support;
using Vaani.Control.Usage;

namespace Vaani.Control.Tests.Usage;

public sealed class UsageSpoolTests : IDisposable
{
    private readonly string _dir = TestData.TempDir();

    private string SpoolDir => Path.Combine(_dir, "spool");

    private static UsageEvent E(int i) => TestData.Usage("evt-" + i, "acme", UsageKind.Stt, 1.5);

    private string CurrentFile() => Directory.GetFiles(SpoolDir, "usage-*.jsonl").Single();

    [Fact]
    public void Append_ThenReopen_EventsStillPending()
    {
        using (var spool = UsageSpool.Open(SpoolDir))
        {
            for (var i = 0; i < 3; i++) spool.Append(E(i));
        }

        using var reopened = UsageSpool.Open(SpoolDir);
        var batch = reopened.ReadPending(100);
        Assert.Equal(["evt-0", "evt-1", "evt-2"], batch.Events.Select(e => e.EventId));
        Assert.Equal(1.5, batch.Events[0].AudioSeconds);
    }

    [Fact]
    public void Open_TornLastLine_DropsOnlyTheTornTail()
    {
        using (var spool = UsageSpool.Open(SpoolDir))
        {
            for (var i = 0; i < 3; i++) spool.Append(E(i));
        }

        // Simulate a crash in the middle of writing the third line.
        var file = CurrentFile();
        var length = new FileInfo(file).Length;
        using (var fs = new FileStream(file, FileMode.Open)) fs.SetLength(length - 20);

        using var reopened = UsageSpool.Open(SpoolDir);
        Assert.True(reopened.TornBytesDropped > 0);
        Assert.Equal(["evt-0", "evt-1"], reopened.ReadPending(100).Events.Select(e => e.EventId));
        // New appends start on a clean line boundary.
        reopened.Append(E(9));
        Assert.Equal(["evt-0", "evt-1", "evt-9"], reopened.ReadPending(100).Events.Select(e => e.EventId));
        Assert.Equal(0, reopened.SkippedCorruptLines);
    }

    [Fact]
    public void ReadPending_WhileTailIsPartial_ReadsCompleteLinesOnly()
    {
        using var spool = UsageSpool.Open(SpoolDir);
        spool.Append(E(0));
        spool.Append(E(1));
        var batch = spool.ReadPending(1);
        Assert.Single(batch.Events);
        spool.Acknowledge(batch);
        Assert.Equal(["evt-1"], spool.ReadPending(10).Events.Select(e => e.EventId));
    }

    [Fact]
    public void Acknowledge_ThenReopen_OnlyUnacknowledgedRemain()
    {
        using (var spool = UsageSpool.Open(SpoolDir))
        {
            for (var i = 0; i < 5; i++) spool.Append(E(i));
            spool.Acknowledge(spool.ReadPending(2));
        }

        using var reopened = UsageSpool.Open(SpoolDir);
        Assert.Equal(["evt-2", "evt-3", "evt-4"], reopened.ReadPending(100).Events.Select(e => e.EventId));
    }

    [Fact]
    public void Acknowledge_FullyAckedBeyondThreshold_CompactsToNewEmptyFile()
    {
        using var spool = UsageSpool.Open(SpoolDir, new UsageSpoolOptions { CompactThresholdBytes = 200 });
        for (var i = 0; i < 10; i++) spool.Append(E(i));
        var firstFile = CurrentFile();
        spool.Acknowledge(spool.ReadPending(100));
        Assert.Equal(2, spool.Generation);
        Assert.False(File.Exists(firstFile));
        Assert.Equal(0, new FileInfo(CurrentFile()).Length);
        spool.Append(E(10));
        Assert.Equal(["evt-10"], spool.ReadPending(100).Events.Select(e => e.EventId));
    }

    [Fact]
    public void Append_BeyondMaxBytes_ThrowsSpoolFull()
    {
        using var spool = UsageSpool.Open(SpoolDir, new UsageSpoolOptions { MaxBytes = 400 });
        Assert.Throws<UsageSpoolFullException>(() =>
        {
            for (var i = 0; i < 100; i++) spool.Append(E(i));
        });
        Assert.True(spool.PendingBytes <= 400);
    }

    [Fact]
    public async Task Delivery_CrashBeforeCheckpoint_RedeliversAndStoreCountsOnce()
    {
        await using var store = await SqliteControlStore.OpenAsync(Path.Combine(_dir, "c.db"));
        var sink = new StoreUsageSink(store);
        using (var spool = UsageSpool.Open(SpoolDir))
        {
            for (var i = 0; i < 10; i++) spool.Append(E(i));
            // Delivered to the store, but the process "dies" before the checkpoint is written.
            var batch = spool.ReadPending(100);
            Assert.Equal(new UsageEventsResponse(10, 0), await sink.DeliverAsync(batch.Events, CancellationToken.None));
        }

        using (var spool = UsageSpool.Open(SpoolDir))
        {
            spool.Append(E(10));
            await using var delivery = new UsageDelivery(spool, sink);
            Assert.Equal(11, await delivery.DeliverPendingAsync());
            Assert.Equal(0, spool.PendingBytes);
        }

        var bucket = Assert.Single(await store.QueryUsageAsync(new TenantId("acme"), UsagePeriod.Day, new DateOnly(2026, 11, 22), new DateOnly(2026, 11, 22)));
        Assert.Equal(11, bucket.Events);
        Assert.Equal(16.5, bucket.AudioSeconds, 6);
    }

    [Fact]
    public async Task Delivery_SinkFailsTwice_RetriesThenAcknowledgesAndNotifies()
    {
        await using var store = await SqliteControlStore.OpenAsync(Path.Combine(_dir, "c.db"));
        var sink = new FailingSink(new StoreUsageSink(store), failures: 2);
        var tracker = new QuotaTracker();
        using var spool = UsageSpool.Open(SpoolDir);
        for (var i = 0; i < 3; i++)
        {
            spool.Append(E(i));
            tracker.RecordPending(E(i));
        }

        var options = new UsageDeliveryOptions { BaseBackoff = TimeSpan.Zero, MaxBackoff = TimeSpan.Zero };
        await using var delivery = new UsageDelivery(spool, sink, options: options, onDelivered: events => tracker.MarkDelivered(events.Select(e => e.EventId)));
        Assert.Equal(3, await delivery.DeliverPendingAsync());
        Assert.Equal(3, sink.Calls);
        Assert.Equal(2, delivery.FailedAttempts);
        Assert.Equal(0, spool.PendingBytes);
    }

    [Fact]
    public async Task Delivery_SinkDownForAllAttempts_EventsStaySpooled()
    {
        var sink = new FailingSink(null, failures: int.MaxValue);
        using var spool = UsageSpool.Open(SpoolDir);
        spool.Append(E(0));
        var options = new UsageDeliveryOptions { MaxAttempts = 3, BaseBackoff = TimeSpan.Zero, MaxBackoff = TimeSpan.Zero };
        await using var delivery = new UsageDelivery(spool, sink, options: options);
        Assert.Equal(0, await delivery.DeliverPendingAsync());
        Assert.Equal(3, sink.Calls);
        Assert.True(spool.PendingBytes > 0);
    }

    [Fact]
    public async Task Delivery_Background_DeliversNewAppends()
    {
        await using var store = await SqliteControlStore.OpenAsync(Path.Combine(_dir, "c.db"));
        using var spool = UsageSpool.Open(SpoolDir);
        await using var delivery = new UsageDelivery(spool, new StoreUsageSink(store), options: new UsageDeliveryOptions { PollInterval = TimeSpan.FromSeconds(30) });
        delivery.Start();
        for (var i = 0; i < 5; i++) spool.Append(E(i));
        var until = DateTime.UtcNow.AddSeconds(20);
        while (delivery.DeliveredEvents < 5 && DateTime.UtcNow < until) await Task.Delay(10);
        Assert.Equal(5, delivery.DeliveredEvents);
    }

    [Theory]
    [InlineData(1, 100, 200)]
    [InlineData(3, 400, 800)]
    [InlineData(20, 15000, 30000)]
    public void Backoff_Attempt_GrowsExponentiallyWithJitterAndCap(int attempt, double minMs, double maxMs)
    {
        var low = UsageDelivery.Backoff(attempt, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), 0);
        var high = UsageDelivery.Backoff(attempt, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), 1);
        Assert.Equal(minMs, low.TotalMilliseconds, 3);
        Assert.Equal(maxMs, high.TotalMilliseconds, 3);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed class FailingSink(IUsageSink? inner, int failures) : IUsageSink
    {
        public int Calls;

        public Task<UsageEventsResponse> DeliverAsync(IReadOnlyList<UsageEvent> events, CancellationToken ct)
        {
            if (Interlocked.Increment(ref Calls) <= failures)
                return Task.FromException<UsageEventsResponse>(new HttpRequestException("control plane unreachable"));
            return inner!.DeliverAsync(events, ct);
        }
    }
}
