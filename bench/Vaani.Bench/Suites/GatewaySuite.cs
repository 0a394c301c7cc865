using System.Globalization;
using Vaani.Bench.Common;
using Vaani.Bench.Engines;
using Vaani.Bench.Gateway;

namespace Vaani.Bench.Suites;

/// <summary>
/// <c>gateway [--quick] [--proxy-only] [--sessions N]</c>: the Vaani gateway as a real-time STT proxy against nginx
/// on the same traffic (added latency per frame, CPU per frame, memory per idle session), then in
/// front of the real engine (admission at capacity, throughput against the raw engine; skipped with
/// <c>--proxy-only</c>).
/// <c>gateway --backend</c> runs the echo backend and <c>gateway --bare-relay PORT</c> the bare relay
/// (both started by the suite itself).
/// </summary>
internal static class GatewaySuite
{
    /// <summary>Sessions the stt-passthrough pool admits (one worker, the engine's MaxConcurrency).</summary>
    private const int MaxSessions = 64;
    private const int Decoders = 2;
    /// <summary>Sessions each path opens during its warm-up, enough for per-session code to reach its optimised tier.</summary>
    private const int WarmUpSessions = 100;
    /// <summary>Idle sessions per memory sample: most of the pool, so one 4 KiB page is &lt; 0.1 KiB per session.</summary>
    private const int IdleSessions = 60;
    private static readonly IFormatProvider Inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        bool quick = false, proxyOnly = false, engineOnly = false;
        int? sessionsArg = null;
        string? perfDir = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--backend")
                return await EchoBackend.RunAsync(cancellationToken);
            if (args[i] == "--bare-relay" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, Inv, out var backendPort))
                return BareRelay.Run(backendPort);
            if (args[i] == "--ws-relay" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, Inv, out var wsBackendPort))
                return WebSocketRelay.Run(wsBackendPort);
            if (args[i] == "--kestrel-relay" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, Inv, out var kestrelBackendPort))
                return await KestrelRelay.RunAsync(kestrelBackendPort, cancellationToken);
            if (args[i] == "--quick")
                quick = true;
            else if (args[i] == "--proxy-only")
                proxyOnly = true;
            else if (args[i] == "--engine-only")
                engineOnly = true;
            else if (args[i] == "--perf" && i + 1 < args.Length)
                perfDir = Path.GetFullPath(args[++i]);
            else if (args[i] == "--sessions" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, Inv, out var n) && n is >= 1 and <= MaxSessions)
            {
                sessionsArg = n;
                i++;
            }
            else
            {
                Console.Error.WriteLine($"gateway: unknown or invalid option '{args[i]}' (known: --quick, --proxy-only, --engine-only, --sessions 1..{MaxSessions}, --perf DIR)");
                return 2;
            }
        }
        if (proxyOnly && engineOnly)
        {
            Console.Error.WriteLine("gateway: --proxy-only and --engine-only exclude each other");
            return 2;
        }
        int sessions = sessionsArg ?? (quick ? 10 : 50);
        // Full runs alternate four rounds per path, in forward then reverse order (ABBA), so a burst
        // of load from elsewhere on the shared machine, or a drift in its speed, does not land on one
        // path only; the tail-latency target is read per round (see PrintProxyTable).
        int rounds = quick ? 1 : 4;
        var duration = TimeSpan.FromSeconds(quick ? 8 : 10);
        var output = Console.Out;
        output.WriteLine("# Vaani gateway benchmarks");
        MachineInfo.Print(output, string.Join(' ', ["gateway", .. args]));
        output.WriteLine();

        if (perfDir is not null) Directory.CreateDirectory(perfDir);
        await using var node = await GatewayNode.StartAsync(Decoders, cancellationToken);
        if (engineOnly)
            return await RunRealEngineAsync(output, node, quick, cancellationToken);
        await using var backend = await BenchChild.StartEchoBackendAsync(cancellationToken);
        await using var nginx = await NginxProxy.StartAsync(backend.BaseUri, cancellationToken);
        await using var relay = Epoll.IsSupported ? await BenchChild.StartBareRelayAsync(backend.BaseUri, cancellationToken) : null;
        // Pid = the proxy measured; Peer = the process behind it (for the whole path's CPU).
        var paths = new List<(string Name, Uri Uri, int Pid, int? Peer)>
        {
            ("direct", StreamUri(backend.BaseUri), backend.Pid, null),
            ("nginx", StreamUri(nginx.BaseUri), nginx.WorkerPid, backend.Pid),
            ("gateway", StreamUri(node.BaseUri), node.Pid, node.PassthroughWorkerPid()),
        };
        await using var wsRelay = Epoll.IsSupported ? await BenchChild.StartWebSocketRelayAsync(backend.BaseUri, cancellationToken) : null;
        if (relay is not null)
            paths.Add(("bare relay", StreamUri(relay.BaseUri), relay.Pid, backend.Pid));
        if (wsRelay is not null)
            paths.Add(("WebSocket relay", StreamUri(wsRelay.BaseUri), wsRelay.Pid, backend.Pid));
        await using var kestrelRelay = await BenchChild.StartKestrelRelayAsync(backend.BaseUri, cancellationToken);
        paths.Add(("Kestrel relay", StreamUri(kestrelRelay.BaseUri), kestrelRelay.Pid, backend.Pid));

        // Untimed warm-up of every path (JIT in the gateway, the backend and this process). The
        // runtime compiles in tiers: quick code first, then optimised code after a method's first
        // ~30 calls, and with profile-guided optimisation ~30 more, in the background. Per-frame code
        // gets there in seconds, but per-session code (handshake, admission, setup) only after some
        // 60 sessions; a short warm-up would leave those compilations inside the first measured round
        // and charge a one-time cost to the steady state being measured. So: session churn (short
        // sessions, opened and closed in batches), then a full-length round.
        var churn = new StreamLoad(sessions, TimeSpan.FromMilliseconds(200));
        var warmUp = new StreamLoad(sessions, duration);
        foreach (var path in paths)
        {
            for (int opened = 0; opened < WarmUpSessions; opened += sessions)
                await churn.RunAsync(path.Uri, null, cancellationToken);
            await warmUp.RunAsync(path.Uri, null, cancellationToken);
        }

        // Idle CPU after the warm-up's sessions have been torn down, then memory, before the load
        // runs grow the gateway's heap.
        await Task.Delay(2000, cancellationToken);
        var gatewayIdleCpu = await IdleCpuAsync(node.Pid, cancellationToken);
        var nginxIdleCpu = await IdleCpuAsync(nginx.WorkerPid, cancellationToken);
        const int memorySamples = 5;
        var gatewayIdle = await IdleMemoryAsync(paths[2].Uri, node.Pid, memorySamples, census: true, cancellationToken);
        var nginxIdle = await IdleMemoryAsync(paths[1].Uri, nginx.WorkerPid, memorySamples, census: false, cancellationToken);

        var load = new StreamLoad(sessions, duration);
        var results = paths.ToDictionary(p => p.Name, _ => new List<LoadResult>());
        for (int round = 0; round < rounds; round++)
        {
            foreach (var path in round % 2 == 0 ? paths : Enumerable.Reverse(paths))
            {
                // --perf: a CPU profile of the measured process over each measured window, for `perf report`.
                var profile = perfDir is null ? null : Path.Combine(perfDir, $"{path.Name.Replace(' ', '-')}-round{round + 1}.perf");
                results[path.Name].Add(await load.RunAsync(path.Uri, path.Pid, cancellationToken, path.Peer, profile));
            }
        }

        PrintProxyTable(output, sessions, duration, rounds, nginx.Version,
            LoadResult.Combine(results["direct"]), LoadResult.Combine(results["nginx"]), LoadResult.Combine(results["gateway"]),
            results.TryGetValue("bare relay", out var relayRounds) ? LoadResult.Combine(relayRounds) : null,
            results.TryGetValue("WebSocket relay", out var wsRelayRounds) ? LoadResult.Combine(wsRelayRounds) : null,
            LoadResult.Combine(results["Kestrel relay"]),
            (gatewayIdle, gatewayIdleCpu), (nginxIdle, nginxIdleCpu),
            name => results[name].Zip(results["direct"], (r, d) => Stats.Percentile(r.Latencies, 99) - Stats.Percentile(d.Latencies, 99)).ToList());

        // The same comparison with the three paths loaded at once: a stall of the shared machine, or
        // a change in its speed, then lands on all of them in the same window.
        var together = new List<LoadResult[]>();
        for (int round = 0; round < (quick ? 1 : 2); round++)
            together.Add(await Task.WhenAll(paths.Take(3).Select(p => load.RunAsync(p.Uri, p.Pid, cancellationToken, p.Peer))));
        PrintTogetherTable(output, sessions, duration, together);

        if (proxyOnly)
            return 0;
        return await RunRealEngineAsync(output, node, quick, cancellationToken);
    }

    /// <summary>Section 2: the real engine behind the gateway (admission at capacity, throughput against the raw engine).</summary>
    private static async Task<int> RunRealEngineAsync(TextWriter output, GatewayNode node, bool quick, CancellationToken cancellationToken)
    {
        using var corpus = SttCorpus.Load();
        await new RealEngineBench(corpus, Decoders, repeats: quick ? 2 : 8).RunAsync(output, node, cancellationToken);
        output.WriteLine($"load after: {MachineInfo.LoadAverage()}");
        return 0;
    }

    /// <summary>Cores <paramref name="pid"/> uses with no session open (timers, heartbeats, health checks).</summary>
    private static async Task<double> IdleCpuAsync(int pid, CancellationToken cancellationToken)
    {
        var window = TimeSpan.FromSeconds(3);
        var cpu0 = ProcStat.Cpu(pid);
        await Task.Delay(window, cancellationToken);
        return (ProcStat.Cpu(pid) - cpu0) / window;
    }

    internal static Uri StreamUri(Uri baseUri) =>
        new($"ws://{baseUri.Authority}/v1/stt/stream?language=und&encoding=linear16&sample_rate=16000&endpointing=false&words=false");

    /// <summary>
    /// RSS per idle session (bytes), mean over <paramref name="samples"/> samples (see below). Each sample lets the
    /// process settle with no session, opens <see cref="IdleSessions"/> sessions in two halves (1 s
    /// settle after each) and closes them again: all = growth over every session, marginal = over the
    /// second half only. With <paramref name="census"/>, the managed heap's live bytes are read as well
    /// (in the last sample: with no session before its RSS readings, with every session open after them).
    /// </summary>
    private static async Task<IdleMemory> IdleMemoryAsync(Uri uri, int pid, int samples, bool census, CancellationToken cancellationToken)
    {
        var all = new List<double>();
        var marginal = new List<double>();
        HeapCensus? empty = null, full = null;
        string? censusError = null;
        int half = IdleSessions / 2;
        for (int sample = 0; sample < samples; sample++)
        {
            // Sessions of the previous sample (or the warm-up) finish closing; timers and pools settle.
            await Task.Delay(2000, cancellationToken);
            // Both censuses in the last sample: objects that outlive a closed session for a while
            // (e.g. a close handshake's abort timer) are then in both and cancel out.
            if (census && sample == samples - 1) empty = HeapCensus.TryTake(pid, out censusError);
            long before = ProcStat.RssBytes(pid);
            var clients = new List<StreamClient>();
            try
            {
                clients.AddRange(await StreamLoad.OpenAllAsync(uri, half, 0, cancellationToken));
                await Task.Delay(1000, cancellationToken);
                long middle = ProcStat.RssBytes(pid);
                clients.AddRange(await StreamLoad.OpenAllAsync(uri, IdleSessions - half, 0, cancellationToken));
                // Well inside the gateway's 10 s idle timeout.
                await Task.Delay(1000, cancellationToken);
                long after = ProcStat.RssBytes(pid);
                all.Add((after - before) / (double)IdleSessions);
                marginal.Add((after - middle) / (double)(IdleSessions - half));
                if (empty is not null && sample == samples - 1) full = HeapCensus.TryTake(pid, out censusError);
            }
            finally
            {
                await Task.WhenAll(clients.Select(c => c.CloseAsync(TimeSpan.FromSeconds(10))));
                foreach (var c in clients) await c.DisposeAsync();
            }
        }
        // The mean, not the median: RSS grows in steps (the GC commits heap in chunks of tens to
        // hundreds of KiB), so a single sample reads either ~0 or a whole step; averaging over
        // samples spreads each step over the sessions that caused it.
        double? managed = empty is not null && full is not null ? (full.LiveBytes - empty.LiveBytes) / (double)IdleSessions : null;
        return new IdleMemory(samples, all.Average(), marginal.Average(), marginal.Min(), marginal.Max(), managed, census ? censusError : null);
    }

    /// <param name="ManagedLive">Growth of the managed heap's live bytes per session (null: not read).</param>
    /// <param name="CensusError">Why the managed heap could not be read, when it was asked for.</param>
    private sealed record IdleMemory(int Samples, double PerSession, double Marginal, double MarginalMin, double MarginalMax, double? ManagedLive, string? CensusError);

    private static void PrintProxyTable(TextWriter output, int sessions, TimeSpan duration, int rounds, string nginxVersion,
        LoadResult direct, LoadResult nginx, LoadResult gateway, LoadResult? relay, LoadResult? wsRelay, LoadResult? kestrelRelay, (IdleMemory Memory, double Cpu) gatewayIdle, (IdleMemory Memory, double Cpu) nginxIdle,
        Func<string, List<double>> addedP99ByRound)
    {
        output.WriteLine($"## 1. Real-time STT streams through the gateway vs nginx: {sessions} sessions × {duration.TotalSeconds:0} s, {rounds} round(s) per path, paths alternating (forward, then reverse order)");
        output.WriteLine($"each session sends a 20 ms frame (640 bytes, linear16 16 kHz) every 20 ms; every {StreamLoad.ResponseEveryFrames}th frame triggers a transcript.partial.");
        output.WriteLine($"gateway = vaani serve (child process) → stt-passthrough worker over its Unix socket; nginx = {nginxVersion}, 1 worker process → echo backend (Kestrel, own process);");
        output.WriteLine("bare relay = one C# thread on its own epoll set copying bytes between client and echo backend (no parsing: the floor for a proxy on this runtime).");
        output.WriteLine("WebSocket relay = the same loop terminating the WebSocket on both sides: own handshakes, each frame unmasked and sent on as a frame of its own (the floor for a terminating proxy).");
        output.WriteLine("Kestrel relay = the WebSocket relay's job on the gateway's stack: Kestrel with the gateway's socket settings, ASP.NET Core's WebSocket to the client, ClientWebSocket to the backend.");
        output.WriteLine("direct = the echo backend without a proxy. Round trip = frame handed to the client socket → its partial received. Added = round trip − direct's, same percentile;");
        output.WriteLine("for p99 both pooled over all rounds and per round (a path's p99 minus direct's in the same round), the median of the rounds being the figure the target reads.");
        output.WriteLine();
        double directP50 = Stats.Percentile(direct.Latencies, 50), directP99 = Stats.Percentile(direct.Latencies, 99);
        double gwP50 = Stats.Percentile(gateway.Latencies, 50), gwP99 = Stats.Percentile(gateway.Latencies, 99);
        double ngP50 = Stats.Percentile(nginx.Latencies, 50), ngP99 = Stats.Percentile(nginx.Latencies, 99);
        double gwAdded99 = gwP99 - directP99, ngAdded99 = ngP99 - directP99;
        // The bare relay's column: "n/a" where it did not run (not Linux x86-64).
        string Relay(Func<LoadResult, string> figure) => relay is null ? "n/a" : figure(relay);
        string WsRelay(Func<LoadResult, string> figure) => wsRelay is null ? "n/a" : figure(wsRelay);
        string KRelay(Func<LoadResult, string> figure) => kestrelRelay is null ? "n/a" : figure(kestrelRelay);
        var table = new Table("figure", "Vaani gateway", "nginx", "bare relay", "WebSocket relay", "Kestrel relay", "direct", "target", "met");
        table.Add("frames relayed / s", Format.Number(gateway.FramesPerSecond, "0"), Format.Number(nginx.FramesPerSecond, "0"), Relay(r => Format.Number(r.FramesPerSecond, "0")), WsRelay(r => Format.Number(r.FramesPerSecond, "0")), KRelay(r => Format.Number(r.FramesPerSecond, "0")), Format.Number(direct.FramesPerSecond, "0"), "", "");
        table.Add("responses matched", Count(gateway.Latencies.Count), Count(nginx.Latencies.Count), Relay(r => Count(r.Latencies.Count)), WsRelay(r => Count(r.Latencies.Count)), KRelay(r => Count(r.Latencies.Count)), Count(direct.Latencies.Count), "", "");
        table.Add("round trip p50", Format.Ms(gwP50), Format.Ms(ngP50), Relay(r => Format.Ms(Stats.Percentile(r.Latencies, 50))), WsRelay(r => Format.Ms(Stats.Percentile(r.Latencies, 50))), KRelay(r => Format.Ms(Stats.Percentile(r.Latencies, 50))), Format.Ms(directP50), "", "");
        table.Add("round trip p99", Format.Ms(gwP99), Format.Ms(ngP99), Relay(r => Format.Ms(Stats.Percentile(r.Latencies, 99))), WsRelay(r => Format.Ms(Stats.Percentile(r.Latencies, 99))), KRelay(r => Format.Ms(Stats.Percentile(r.Latencies, 99))), Format.Ms(directP99), "", "");
        table.Add("round trip max", Format.Ms(Max(gateway)), Format.Ms(Max(nginx)), Relay(r => Format.Ms(Max(r))), WsRelay(r => Format.Ms(Max(r))), KRelay(r => Format.Ms(Max(r))), Format.Ms(Max(direct)), "", "");
        table.Add("added latency p50", Format.Ms(gwP50 - directP50), Format.Ms(ngP50 - directP50), Relay(r => Format.Ms(Stats.Percentile(r.Latencies, 50) - directP50)), WsRelay(r => Format.Ms(Stats.Percentile(r.Latencies, 50) - directP50)), KRelay(r => Format.Ms(Stats.Percentile(r.Latencies, 50) - directP50)), "", "", "");
        table.Add("added latency p99, rounds pooled", Format.Ms(gwAdded99), Format.Ms(ngAdded99), Relay(r => Format.Ms(Stats.Percentile(r.Latencies, 99) - directP99)), WsRelay(r => Format.Ms(Stats.Percentile(r.Latencies, 99) - directP99)), KRelay(r => Format.Ms(Stats.Percentile(r.Latencies, 99) - directP99)), "", "", "");
        // Per round: each path's p99 minus the direct path's p99 in the same round, then the median
        // over rounds. One round in which the machine stalled (the direct path's own p99 has read
        // anywhere from 2.3 to 4.8 ms) then moves the figure by one rank, not by its whole stall.
        // A floor of 0.1 ms keeps "2× nginx" meaningful when nginx adds nothing measurable.
        double gwRoundsP99 = Stats.Median(addedP99ByRound("gateway")), ngRoundsP99 = Stats.Median(addedP99ByRound("nginx"));
        string RoundsP99(string name) => Format.Ms(Stats.Median(addedP99ByRound(name)));
        table.Add("added latency p99, median of rounds", Format.Ms(gwRoundsP99), Format.Ms(ngRoundsP99), relay is null ? "n/a" : RoundsP99("bare relay"), wsRelay is null ? "n/a" : RoundsP99("WebSocket relay"), KRelay(_ => RoundsP99("Kestrel relay")), "", "≤ 2× nginx", Mark(gwRoundsP99 <= 2 * Math.Max(ngRoundsP99, 0.1)));
        string EachRound(string name) => string.Join(" ", addedP99ByRound(name).Select(v => Format.Number(v, "0.0")));
        table.Add("… each round (ms)", EachRound("gateway"), EachRound("nginx"), relay is null ? "n/a" : EachRound("bare relay"), wsRelay is null ? "n/a" : EachRound("WebSocket relay"), KRelay(_ => EachRound("Kestrel relay")), "", "", "");
        table.Add("proxy CPU per frame (total)", Micros(gateway.CpuMicrosPerFrame), Micros(nginx.CpuMicrosPerFrame), Relay(r => Micros(r.CpuMicrosPerFrame)), WsRelay(r => Micros(r.CpuMicrosPerFrame)), KRelay(r => Micros(r.CpuMicrosPerFrame)), "", "≤ nginx", Mark(gateway.CpuMicrosPerFrame <= nginx.CpuMicrosPerFrame));
        table.Add("… ÷ nginx's", Ratio(gateway.CpuMicrosPerFrame / nginx.CpuMicrosPerFrame), "1.00", Relay(r => Ratio(r.CpuMicrosPerFrame / nginx.CpuMicrosPerFrame)), WsRelay(r => Ratio(r.CpuMicrosPerFrame / nginx.CpuMicrosPerFrame)), KRelay(r => Ratio(r.CpuMicrosPerFrame / nginx.CpuMicrosPerFrame)), "", "", "");
        table.Add("… ÷ WebSocket relay's", WsRelay(w => Ratio(gateway.CpuMicrosPerFrame / w.CpuMicrosPerFrame)), WsRelay(w => Ratio(nginx.CpuMicrosPerFrame / w.CpuMicrosPerFrame)), WsRelay(w => Relay(r => Ratio(r.CpuMicrosPerFrame / w.CpuMicrosPerFrame))), WsRelay(_ => "1.00"), WsRelay(w => KRelay(k => Ratio(k.CpuMicrosPerFrame / w.CpuMicrosPerFrame))), "", "", "");
        table.Add("proxy CPU per 1,000 frames/s", Percent(gateway.CoresPerKiloFps), Percent(nginx.CoresPerKiloFps), Relay(r => Percent(r.CoresPerKiloFps)), WsRelay(r => Percent(r.CoresPerKiloFps)), KRelay(r => Percent(r.CoresPerKiloFps)), Percent(direct.CoresPerKiloFps) + " (backend)", "", "");
        table.Add("proxy CPU with no session", Percent(gatewayIdle.Cpu), Percent(nginxIdle.Cpu), "", "", "", "", "", "");
        table.Add("proxy CPU per frame above idle", Micros(gateway.CpuMicrosPerFrameAboveIdle(gatewayIdle.Cpu)), Micros(nginx.CpuMicrosPerFrameAboveIdle(nginxIdle.Cpu)), "", "", "", "", "≤ nginx",
            Mark(gateway.CpuMicrosPerFrameAboveIdle(gatewayIdle.Cpu) <= nginx.CpuMicrosPerFrameAboveIdle(nginxIdle.Cpu)));
        table.Add("proxy context switches per frame", Format.Number(gateway.SwitchesPerFrame, "0.00"), Format.Number(nginx.SwitchesPerFrame, "0.00"), Relay(r => Format.Number(r.SwitchesPerFrame, "0.00")), WsRelay(r => Format.Number(r.SwitchesPerFrame, "0.00")), KRelay(r => Format.Number(r.SwitchesPerFrame, "0.00")), "", "", "");
        table.Add("path CPU per frame (proxy + backend or worker)", Micros(gateway.PathCpuMicrosPerFrame), Micros(nginx.PathCpuMicrosPerFrame), Relay(r => Micros(r.PathCpuMicrosPerFrame)), WsRelay(r => Micros(r.PathCpuMicrosPerFrame)), KRelay(r => Micros(r.PathCpuMicrosPerFrame)), Micros(direct.CpuMicrosPerFrame), "", "");
        table.Add("RSS per idle session (all)", Kib(gatewayIdle.Memory.PerSession), Kib(nginxIdle.Memory.PerSession), "", "", "", "", "≤ 32 KiB", Mark(gatewayIdle.Memory.PerSession <= 32 * 1024));
        table.Add("RSS per idle session (marginal)", Kib(gatewayIdle.Memory.Marginal), Kib(nginxIdle.Memory.Marginal), "", "", "", "", "≤ 32 KiB", Mark(gatewayIdle.Memory.Marginal <= 32 * 1024));
        table.Add("… marginal, lowest – highest sample", KibRange(gatewayIdle.Memory), KibRange(nginxIdle.Memory), "", "", "", "", "", "");
        table.Add("… of which managed heap, live objects", gatewayIdle.Memory.ManagedLive is { } live ? Kib(live) : "n/a", "", "", "", "", "", "", "");
        table.Add("load generator: worst send lag", Format.Ms(gateway.MaxSendLagMs), Format.Ms(nginx.MaxSendLagMs), Relay(r => Format.Ms(r.MaxSendLagMs)), WsRelay(r => Format.Ms(r.MaxSendLagMs)), KRelay(r => Format.Ms(r.MaxSendLagMs)), Format.Ms(direct.MaxSendLagMs), "", "");
        table.Add("sessions not closed cleanly", Count(gateway.FailedCloses), Count(nginx.FailedCloses), Relay(r => Count(r.FailedCloses)), WsRelay(r => Count(r.FailedCloses)), KRelay(r => Count(r.FailedCloses)), Count(direct.FailedCloses), "", "");
        table.Print(output);
        output.WriteLine("CPU: utime + stime of the gateway process (workers excluded) or of the nginx worker process, over the measured window, per audio frame sent by the clients.");
        if (gateway.TargetCpuByRole is { Count: > 0 } roles)
        {
            // Where the gateway's CPU per frame goes, by thread: the event loop runs each client frame
            // through the session to the worker and each worker frame (events, credit) through to the
            // client; without it, the runtime's socket thread and a worker reader split that work.
            var parts = roles.Where(kv => kv.Value > TimeSpan.Zero).OrderByDescending(kv => kv.Value)
                .Select(kv => $"{kv.Key} {Format.Number(kv.Value.TotalMicroseconds / gateway.FramesSent, "0.0")} µs");
            var exited = gateway.TargetCpu - TimeSpan.FromTicks(roles.Values.Sum(v => v.Ticks));
            output.WriteLine($"gateway CPU per frame by thread: {string.Join(" · ", parts)}"
                + (exited > TimeSpan.FromMilliseconds(10) ? $" · threads that ended meanwhile {Format.Number(exited.TotalMicroseconds / gateway.FramesSent, "0.0")} µs" : "")
                + " (\"vaani event loop N\" = the gateway's event loop; without it \".NET Sockets\" = the runtime's socket thread and \"vaani worker # reader\" = a worker connection's reader; names truncated to 15 characters by the kernel).");
        }
        output.WriteLine("context switches: voluntary + involuntary, summed over the process's threads (/proc/<pid>/task/*/status); on this kind of machine each one costs microseconds.");
        output.WriteLine("CPU of a relay: utime + stime of its process. The bare relay does with each frame only what nginx does (read it, write it on), so its ratio to");
        output.WriteLine("nginx compares the runtimes. The WebSocket and Kestrel relays do the same terminating job, one on its own event loop, one on the gateway's stack:");
        output.WriteLine("the first is what terminating costs, the second what the stack adds; the gateway runs its session core and worker protocol on that stack.");
        output.WriteLine("path CPU adds the process behind the proxy: the echo backend for nginx and the relays, the stt-passthrough worker for the gateway.");
        output.WriteLine("direct column: CPU of the echo backend itself (a minimal Kestrel WebSocket app), for scale.");
        output.WriteLine($"RSS per idle session: VmRSS growth with {IdleSessions} sessions open and silent, 1 s after the last session.started, mean of {gatewayIdle.Memory.Samples} samples");
        output.WriteLine("(each: settle 2 s with no session, open half, 1 s, open the rest, 1 s, close all); all = over every session, marginal = over the second half only");
        output.WriteLine("(excludes one-time costs such as the first session's code paths and new threads; both still include garbage not yet collected).");
        output.WriteLine("managed heap, live objects: growth of the gateway's reachable objects (ClrMD, read from outside) between no session and every session open, per session"
            + (gatewayIdle.Memory.CensusError is { } error ? $"; not read: {error}" : "."));
        output.WriteLine();
    }

    /// <summary>Section 1b: direct, nginx and the gateway loaded at the same time (each element of <paramref name="rounds"/> is one round, in that order).</summary>
    private static void PrintTogetherTable(TextWriter output, int sessions, TimeSpan duration, List<LoadResult[]> rounds)
    {
        output.WriteLine($"## 1b. The same paths at the same time: direct, nginx and the gateway each with {sessions} sessions × {duration.TotalSeconds:0} s, {rounds.Count} round(s)");
        output.WriteLine("A stall of the machine lands on every path alike. Added p99 = a path's p99 minus direct's in the same round; CPU as in section 1, rounds pooled.");
        output.WriteLine();
        var direct = LoadResult.Combine(rounds.Select(r => r[0]).ToList());
        var nginx = LoadResult.Combine(rounds.Select(r => r[1]).ToList());
        var gateway = LoadResult.Combine(rounds.Select(r => r[2]).ToList());
        List<double> Added(int path) => rounds.Select(r => Stats.Percentile(r[path].Latencies, 99) - Stats.Percentile(r[0].Latencies, 99)).ToList();
        double gwAdded = Stats.Median(Added(2)), ngAdded = Stats.Median(Added(1));
        string Each(int path) => string.Join(" ", Added(path).Select(v => Format.Number(v, "0.0")));
        var table = new Table("figure", "Vaani gateway", "nginx", "direct", "target", "met");
        table.Add("frames relayed / s", Format.Number(gateway.FramesPerSecond, "0"), Format.Number(nginx.FramesPerSecond, "0"), Format.Number(direct.FramesPerSecond, "0"), "", "");
        table.Add("responses matched", Count(gateway.Latencies.Count), Count(nginx.Latencies.Count), Count(direct.Latencies.Count), "", "");
        table.Add("round trip p50", Format.Ms(Stats.Percentile(gateway.Latencies, 50)), Format.Ms(Stats.Percentile(nginx.Latencies, 50)), Format.Ms(Stats.Percentile(direct.Latencies, 50)), "", "");
        table.Add("round trip p99", Format.Ms(Stats.Percentile(gateway.Latencies, 99)), Format.Ms(Stats.Percentile(nginx.Latencies, 99)), Format.Ms(Stats.Percentile(direct.Latencies, 99)), "", "");
        table.Add("added latency p99, median of rounds", Format.Ms(gwAdded), Format.Ms(ngAdded), "", "≤ 2× nginx", Mark(gwAdded <= 2 * Math.Max(ngAdded, 0.1)));
        table.Add("… each round (ms)", Each(2), Each(1), "", "", "");
        table.Add("proxy CPU per frame (total)", Micros(gateway.CpuMicrosPerFrame), Micros(nginx.CpuMicrosPerFrame), "", "≤ nginx", Mark(gateway.CpuMicrosPerFrame <= nginx.CpuMicrosPerFrame));
        table.Add("… ÷ nginx's", Ratio(gateway.CpuMicrosPerFrame / nginx.CpuMicrosPerFrame), "1.00", "", "", "");
        table.Add("… each round", string.Join(" ", rounds.Select(r => Ratio(r[2].CpuMicrosPerFrame / r[1].CpuMicrosPerFrame))), "", "", "", "");
        table.Add("load generator: worst send lag", Format.Ms(gateway.MaxSendLagMs), Format.Ms(nginx.MaxSendLagMs), Format.Ms(direct.MaxSendLagMs), "", "");
        table.Add("sessions not closed cleanly", Count(gateway.FailedCloses), Count(nginx.FailedCloses), Count(direct.FailedCloses), "", "");
        table.Print(output);
    }

    private static string Count(int n) => n.ToString(Inv);

    private static double Max(LoadResult r) => r.Latencies.DefaultIfEmpty(double.NaN).Max();

    private static string Ratio(double ratio) => ratio.ToString("0.00", Inv);

    private static string Micros(double us) => us.ToString("0.0", Inv) + " µs";

    private static string Percent(double cores) => (cores * 100).ToString("0.0", Inv) + " % of a core";

    private static string Kib(double bytes) => (bytes / 1024).ToString("0.0", Inv) + " KiB";

    private static string KibRange(IdleMemory m) => string.Create(Inv, $"{m.MarginalMin / 1024:0.0} – {m.MarginalMax / 1024:0.0} KiB");

    private static string Mark(bool met) => met ? "✓" : "✗";
}
