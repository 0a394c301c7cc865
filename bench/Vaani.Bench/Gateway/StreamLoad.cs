using System.Diagnostics;

namespace Vaani.Bench.Gateway;

/// <summary>What one load run measured.</summary>
/// <param name="Latencies">Frame → response round trips in ms, over every session.</param>
/// <param name="Window">From every session open to the last frame sent.</param>
/// <param name="TargetCpu">CPU time of the measured process (gateway or nginx worker) in <see cref="Window"/>.</param>
/// <param name="PeerCpu">CPU time of the process behind it (echo backend or engine worker) in <see cref="Window"/>.</param>
/// <param name="TargetSwitches">Context switches of the measured process's threads in <see cref="Window"/> (each one a thread going to sleep or being preempted).</param>
/// <param name="TargetCpuByRole">The measured process's CPU time in <see cref="Window"/> by thread role (<see cref="ProcStat.CpuByRole"/>).</param>
internal sealed record LoadResult(int Sessions, long FramesSent, List<double> Latencies, TimeSpan Window, TimeSpan TargetCpu, TimeSpan PeerCpu, double MaxSendLagMs, int FailedCloses, long TargetSwitches = 0,
    Dictionary<string, TimeSpan>? TargetCpuByRole = null)
{
    /// <summary>Context switches of the measured process per audio frame relayed.</summary>
    public double SwitchesPerFrame => (double)TargetSwitches / FramesSent;

    public double FramesPerSecond => FramesSent / Window.TotalSeconds;

    /// <summary>CPU microseconds of the measured process per audio frame relayed.</summary>
    public double CpuMicrosPerFrame => TargetCpu.TotalMicroseconds / FramesSent;

    /// <summary>CPU microseconds per frame of the measured process and the one behind it together.</summary>
    public double PathCpuMicrosPerFrame => (TargetCpu + PeerCpu).TotalMicroseconds / FramesSent;

    /// <summary>Fraction of one core the measured process needs per 1,000 frames/s.</summary>
    public double CoresPerKiloFps => TargetCpu.TotalSeconds / Window.TotalSeconds / (FramesPerSecond / 1000);

    /// <summary>CPU microseconds per frame after subtracting what the process burns with no session at all.</summary>
    public double CpuMicrosPerFrameAboveIdle(double idleCores) =>
        Math.Max(0, TargetCpu.TotalMicroseconds - (idleCores * Window.TotalMicroseconds)) / FramesSent;

    /// <summary>Several rounds of the same load as one result (windows, CPU and frames add up).</summary>
    public static LoadResult Combine(IReadOnlyList<LoadResult> rounds) => new(
        rounds[0].Sessions, rounds.Sum(r => r.FramesSent), rounds.SelectMany(r => r.Latencies).ToList(),
        TimeSpan.FromTicks(rounds.Sum(r => r.Window.Ticks)), TimeSpan.FromTicks(rounds.Sum(r => r.TargetCpu.Ticks)), TimeSpan.FromTicks(rounds.Sum(r => r.PeerCpu.Ticks)),
        rounds.Max(r => r.MaxSendLagMs), rounds.Sum(r => r.FailedCloses), rounds.Sum(r => r.TargetSwitches),
        rounds.SelectMany(r => r.TargetCpuByRole ?? []).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => TimeSpan.FromTicks(g.Sum(kv => kv.Value.Ticks))));
}

/// <summary>
/// N concurrent real-time streams: each sends a 20 ms frame of 16 kHz linear16 (640 bytes) every
/// 20 ms for the duration; the server answers every <see cref="ResponseEveryFrames"/>-th frame. Session
/// starts are staggered over one frame period, as independent callers would be.
/// </summary>
internal sealed class StreamLoad(int sessions, TimeSpan duration)
{
    public const int FrameMs = 20;
    public const int BytesPerSecond = 32000;
    public const int FrameBytes = BytesPerSecond * FrameMs / 1000;
    public const int ResponseEveryFrames = 5;
    public const int ResponseEveryBytes = FrameBytes * ResponseEveryFrames;

    /// <summary>
    /// Runs the load against <paramref name="uri"/>; CPU is read from <paramref name="cpuPid"/> and
    /// <paramref name="peerPid"/> when given, and with <paramref name="profile"/> <c>perf record</c>
    /// samples <paramref name="cpuPid"/> over the measured window into that file.
    /// </summary>
    public async Task<LoadResult> RunAsync(Uri uri, int? cpuPid, CancellationToken cancellationToken, int? peerPid = null, string? profile = null)
    {
        int frames = (int)(duration.TotalMilliseconds / FrameMs);
        var clients = await OpenAllAsync(uri, sessions, frames, cancellationToken);
        try
        {
            var cpu0 = cpuPid is { } p0 ? ProcStat.Cpu(p0) : TimeSpan.Zero;
            long switches0 = cpuPid is { } s0 ? ProcStat.ContextSwitches(s0) : 0;
            var threads0 = cpuPid is { } t0p ? ProcStat.ThreadCpu(t0p) : [];
            var peer0 = peerPid is { } q0 ? ProcStat.Cpu(q0) : TimeSpan.Zero;
            using var perf = profile is not null && cpuPid is { } profiled ? PerfRecord.Start(profiled, profile) : null;
            long t0 = Stopwatch.GetTimestamp();
            long stagger = Stopwatch.Frequency * FrameMs / 1000 / Math.Max(1, sessions);
            await Task.WhenAll(clients.Select((c, i) => Task.Run(() => c.SendAsync(t0 + (i * stagger), frames, cancellationToken), cancellationToken)));
            var window = Stopwatch.GetElapsedTime(t0);
            var cpu1 = cpuPid is { } p1 ? ProcStat.Cpu(p1) : TimeSpan.Zero;
            long switches1 = cpuPid is { } s1 ? ProcStat.ContextSwitches(s1) : 0;
            var threads1 = cpuPid is { } t1p ? ProcStat.ThreadCpu(t1p) : [];
            var peer1 = peerPid is { } q1 ? ProcStat.Cpu(q1) : TimeSpan.Zero;
            if (perf is not null) await perf.StopAsync();
            // Let the last responses arrive, then close as a client would.
            await Task.Delay(200, cancellationToken);
            await Task.WhenAll(clients.Select(c => c.CloseAsync(TimeSpan.FromSeconds(10))));
            foreach (var c in clients) await c.DisposeAsync(); // receivers done: the figures are final
            return new LoadResult(
                sessions, clients.Sum(c => c.FramesSent), clients.SelectMany(c => c.Latencies).ToList(),
                window, cpu1 - cpu0, peer1 - peer0, clients.Max(c => c.MaxSendLagMs), clients.Count(c => !c.Closed), switches1 - switches0,
                ProcStat.CpuByRole(threads0, threads1));
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    /// <summary>Opens <paramref name="count"/> sessions concurrently and waits for each one's <c>session.started</c>.</summary>
    public static async Task<List<StreamClient>> OpenAllAsync(Uri uri, int count, int maxFrames, CancellationToken cancellationToken)
    {
        var opening = Enumerable.Range(0, count).Select(_ => StreamClient.OpenAsync(uri, maxFrames, cancellationToken)).ToList();
        try
        {
            return [.. await Task.WhenAll(opening)];
        }
        catch
        {
            foreach (var t in opening.Where(t => t.IsCompletedSuccessfully)) await t.Result.DisposeAsync();
            throw;
        }
    }
}
