using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Vaani.Bench.Common;
using Vaani.Bench.Engines;
using Vaani.Engines;
using Vaani.Engines.PocketSphinx;

namespace Vaani.Bench.Gateway;

/// <summary>
/// The gateway in front of the real engine (stt-en, PocketSphinx): admission at the engine's
/// capacity, and aggregate recognition throughput through the gateway against the same engine
/// in process, both fed faster than real time.
/// </summary>
internal sealed class RealEngineBench(SttCorpus corpus, int decoders, int repeats)
{
    private const int ChunkBytes = 3200; // 100 ms
    /// <summary>Sessions each side opens to warm up: enough for per-session code to reach its optimised tier.</summary>
    private const int WarmUpSessions = 80;
    private const int WarmUpClipBytes = 32000; // 1 s
    private static readonly byte[] CloseMessage = Encoding.UTF8.GetBytes("""{"type":"close"}""");

    public async Task RunAsync(TextWriter output, GatewayNode node, CancellationToken cancellationToken)
    {
        int capacity = await CapacityAsync(node, cancellationToken);
        var (admitted, refused, other) = await AdmissionAsync(node, capacity + 3, cancellationToken);

        // Lanes = the pool's capacity: one stream per decoder, each stream one clip, back to back.
        int lanes = capacity;
        await using var engine = await PocketSphinxEngine.CreateAsync(new PocketSphinxOptions { PoolSize = decoders }, cancellationToken);
        // The raw lanes feed and read their sessions on thread-pool threads; spare threads keep the
        // baseline from waiting for thread injection.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), io);
        // Untimed warm-up of both sides. The runtime compiles in tiers (quick code first, optimised
        // code after ~30 calls, with profile-guided optimisation ~30 more, in the background), and a
        // run opens only 2 × 6 sessions: without a warm-up, per-session code (handshake, admission,
        // placement, the worker's session set-up, the client's WebSocket) is still being compiled
        // during the first measured runs, on cores the decoders need, in the gateway, the stt-en
        // worker and this process. Measured: ~0.9 s of extra CPU in the first gateway run, ~0.1 s
        // once warm. So: WarmUpSessions short sessions per side (the first second of each clip),
        // as the proxy section does, then one whole clip per lane (page cache).
        var shortClips = corpus.Clips.Select(c => new SttClip(c.Name, c.Pcm[..Math.Min(c.Pcm.Length, WarmUpClipBytes)])).ToList();
        int warmUpPerLane = (WarmUpSessions + lanes - 1) / lanes;
        await RawRunAsync(engine, lanes, cancellationToken, shortClips, warmUpPerLane);
        await GatewayRunAsync(node, lanes, cancellationToken, shortClips, warmUpPerLane);
        await RawRunAsync(engine, lanes, cancellationToken, sessionsPerLane: 1);
        await GatewayRunAsync(node, lanes, cancellationToken, sessionsPerLane: 1);
        var raw = new List<Run>();
        var gateway = new List<Run>();
        for (int i = 0; i < repeats; i++)
        {
            // Interleaved, so load from elsewhere on the machine hits both sides alike, and in
            // alternating order (raw first, then gateway first: ABBA), so a machine whose speed
            // drifts during the run (it does: a shared VM) favours neither side.
            if (i % 2 == 0)
            {
                raw.Add(await RawRunAsync(engine, lanes, cancellationToken));
                gateway.Add(await GatewayRunAsync(node, lanes, cancellationToken));
            }
            else
            {
                gateway.Add(await GatewayRunAsync(node, lanes, cancellationToken));
                raw.Add(await RawRunAsync(engine, lanes, cancellationToken));
            }
        }

        output.WriteLine($"## 2. Real engine behind the gateway: stt-en (PocketSphinx), 1 worker × {decoders} decoders");
        output.WriteLine();
        var admission = new Table("figure", "measured", "expected");
        admission.Add("pool capacity (GET /v1/models)", capacity.ToString(Inv), $"{decoders}");
        admission.Add($"sessions opened at once", (capacity + 3).ToString(Inv), "capacity + 3");
        admission.Add("admitted (session.started)", admitted.ToString(Inv), capacity.ToString(Inv));
        admission.Add("refused at the handshake (HTTP 503)", refused.ToString(Inv), "3");
        admission.Add("other outcome", other.ToString(Inv), "0");
        admission.Print(output);

        double rawThroughput = Stats.Median(raw.Select(r => r.Audio / r.Wall).ToList());
        double gwThroughput = Stats.Median(gateway.Select(r => r.Audio / r.Wall).ToList());
        // Each gateway run against the raw run next to it: the machine's speed drifts between runs
        // by more than the gateway costs, and a pair shares most of that drift.
        var pairRatios = raw.Zip(gateway, (r, g) => (g.Audio / g.Wall) / (r.Audio / r.Wall)).ToList();
        double ratio = Stats.Median(pairRatios);
        output.WriteLine($"Throughput: {lanes} concurrent streams (one per decoder), each clip of the corpus ({corpus.Clips.Count} files, {corpus.TotalSeconds:0.0} s) as its own session,");
        output.WriteLine($"sent in 100 ms chunks as fast as accepted, interim results and endpointing off; {repeats} runs per side, interleaved in pairs, raw first in every other pair (ABBA).");
        output.WriteLine("Throughputs are medians; the ratio is the median of each gateway run's ratio to the raw run of its pair.");
        output.WriteLine();
        var table = new Table("figure", "through the gateway", "raw engine in process", "ratio", "target");
        table.Add("audio s / wall s (aggregate)", Format.Number(gwThroughput, "0.00"), Format.Number(rawThroughput, "0.00"),
            Format.Ratio(ratio), $"≥ 0.95 {(ratio >= 0.95 ? "✓" : "✗")}");
        table.Add("ratio of each pair", "", "", string.Join(" ", pairRatios.Select(r => Format.Ratio(r))), "");
        table.Add("audio s / wall s of each run", string.Join(" ", gateway.Select(r => Format.Number(r.Audio / r.Wall, "0.00"))), string.Join(" ", raw.Select(r => Format.Number(r.Audio / r.Wall, "0.00"))), "", "");
        table.Add("wall time per run", Format.Seconds(Stats.Median(gateway.Select(r => r.Wall).ToList())), Format.Seconds(Stats.Median(raw.Select(r => r.Wall).ToList())), "", "");
        table.Add("finals per run", gateway[^1].Finals.ToString(Inv), raw[^1].Finals.ToString(Inv), "", "");
        table.Add("CPU per run: engine (stt-en worker / this process)", Format.Seconds(Stats.Median(gateway.Select(r => r.EngineCpu).ToList())), Format.Seconds(Stats.Median(raw.Select(r => r.EngineCpu).ToList())), "", "");
        table.Add("CPU per run: gateway process", Format.Seconds(Stats.Median(gateway.Select(r => r.GatewayCpu).ToList())), "", "", "");
        table.Add("CPU per run: clients (this process)", Format.Seconds(Stats.Median(gateway.Select(r => r.ClientCpu).ToList())), "", "", "");
        table.Print(output);
        output.WriteLine("Both cores decode during a run, so the CPU the gateway path adds (gateway, clients, the worker beyond decoding) comes out of the engine's share: the ratio is about raw engine CPU ÷ the gateway side's total.");
    }

    /// <summary>One run of one side: audio seconds, wall seconds, finals and CPU seconds (on the raw side all of it is <see cref="EngineCpu"/>).</summary>
    private sealed record Run(double Audio, double Wall, int Finals, double EngineCpu, double GatewayCpu = 0, double ClientCpu = 0);

    private static readonly IFormatProvider Inv = System.Globalization.CultureInfo.InvariantCulture;

    private static async Task<int> CapacityAsync(GatewayNode node, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = node.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri("/v1/models", UriKind.Relative), cancellationToken));
        foreach (var model in doc.RootElement.GetProperty("models").EnumerateArray())
        {
            if (model.GetProperty("id").GetString() == "stt-en")
                return model.GetProperty("capacity").GetInt32();
        }
        throw new InvalidOperationException("GET /v1/models lists no stt-en pool");
    }

    private static Uri EnglishStream(GatewayNode node) =>
        new($"ws://{node.BaseUri.Authority}/v1/stt/stream?language=en-US&interim_results=false&endpointing=false&words=false");

    /// <summary>Opens <paramref name="count"/> sessions at once and counts the outcomes.</summary>
    private static async Task<(int Admitted, int Refused, int Other)> AdmissionAsync(GatewayNode node, int count, CancellationToken cancellationToken)
    {
        var attempts = Enumerable.Range(0, count).Select(_ => StreamClient.OpenAsync(EnglishStream(node), 0, cancellationToken)).ToList();
        int admitted = 0, refused = 0, other = 0;
        foreach (var attempt in attempts)
        {
            try { await attempt; admitted++; }
            catch (RefusedException ex) when (ex.Status == System.Net.HttpStatusCode.ServiceUnavailable) { refused++; }
            catch (Exception ex) when (ex is RefusedException or WebSocketException or InvalidOperationException or TimeoutException) { other++; }
        }
        foreach (var attempt in attempts.Where(a => a.IsCompletedSuccessfully))
        {
            await attempt.Result.CloseAsync(TimeSpan.FromSeconds(10));
            await attempt.Result.DisposeAsync();
        }
        return (admitted, refused, other);
    }

    /// <summary>The clips each lane transcribes (by default every clip of the corpus once), lanes starting at different clips.</summary>
    private static IEnumerable<SttClip> LaneClips(IReadOnlyList<SttClip> clips, int lane, int count) =>
        Enumerable.Range(0, count).Select(i => clips[(i + (lane * clips.Count / 2)) % clips.Count]);

    private async Task<Run> RawRunAsync(PocketSphinxEngine engine, int lanes, CancellationToken cancellationToken,
        IReadOnlyList<SttClip>? clips = null, int? sessionsPerLane = null)
    {
        await WaitForIdleAsync(engine, cancellationToken);
        var cpu0 = ProcStat.Cpu(Environment.ProcessId);
        long t0 = Stopwatch.GetTimestamp();
        var finals = await Task.WhenAll(Enumerable.Range(0, lanes).Select(lane => Task.Run(async () =>
        {
            int count = 0;
            foreach (var clip in LaneClips(clips ?? corpus.Clips, lane, sessionsPerLane ?? (clips ?? corpus.Clips).Count))
            {
                await using var session = await StartRawAsync(engine, cancellationToken);
                var reader = Task.Run(async () =>
                {
                    int n = 0;
                    await foreach (var e in session.ReadEventsAsync(cancellationToken)) if (e is SttFinal) n++;
                    return n;
                }, cancellationToken);
                for (int offset = 0; offset < clip.Pcm.Length; offset += ChunkBytes)
                    await session.SendAudioAsync(clip.Pcm.AsMemory(offset, Math.Min(ChunkBytes, clip.Pcm.Length - offset)), cancellationToken);
                await session.CompleteAsync(cancellationToken);
                count += await reader;
            }
            return count;
        }, cancellationToken)));
        var wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return new Run(corpus.TotalSeconds * lanes, wall, finals.Sum(), (ProcStat.Cpu(Environment.ProcessId) - cpu0).TotalSeconds);
    }

    private async Task<Run> GatewayRunAsync(GatewayNode node, int lanes, CancellationToken cancellationToken,
        IReadOnlyList<SttClip>? clips = null, int? sessionsPerLane = null)
    {
        // Both sides start from idle decoders (a returned decoder is reset on a thread of its own): the same pause as the raw side.
        await Task.Delay(500, cancellationToken);
        int worker = node.WorkerPid("stt-en");
        var (worker0, gateway0, client0) = (ProcStat.Cpu(worker), ProcStat.Cpu(node.Pid), ProcStat.Cpu(Environment.ProcessId));
        long t0 = Stopwatch.GetTimestamp();
        var finals = await Task.WhenAll(Enumerable.Range(0, lanes).Select(lane => Task.Run(async () =>
        {
            int count = 0;
            foreach (var clip in LaneClips(clips ?? corpus.Clips, lane, sessionsPerLane ?? (clips ?? corpus.Clips).Count))
                count += await TranscribeAsync(EnglishStream(node), clip, cancellationToken);
            return count;
        }, cancellationToken)));
        var wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return new Run(corpus.TotalSeconds * lanes, wall, finals.Sum(),
            (ProcStat.Cpu(worker) - worker0).TotalSeconds, (ProcStat.Cpu(node.Pid) - gateway0).TotalSeconds, (ProcStat.Cpu(Environment.ProcessId) - client0).TotalSeconds);
    }

    /// <summary>One clip as one session: audio as fast as the gateway reads it, then close and wait for session.closed.</summary>
    private static async Task<int> TranscribeAsync(Uri uri, SttClip clip, CancellationToken cancellationToken)
    {
        using var ws = new ClientWebSocket();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await ws.ConnectAsync(uri, timeout.Token);
        int finals = 0;
        bool closed = false;
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            while (true)
            {
                int n = 0;
                ValueWebSocketReceiveResult r;
                do { r = await ws.ReceiveAsync(buffer.AsMemory(n), timeout.Token); n += r.Count; } while (!r.EndOfMessage);
                if (r.MessageType == WebSocketMessageType.Close) return;
                var text = Encoding.UTF8.GetString(buffer, 0, n);
                if (text.Contains("\"transcript.final\"", StringComparison.Ordinal)) finals++;
                else if (text.Contains("\"session.closed\"", StringComparison.Ordinal)) closed = true;
                else if (text.Contains("\"error\"", StringComparison.Ordinal)) throw new InvalidOperationException($"gateway error: {text}");
            }
        }, timeout.Token);
        for (int offset = 0; offset < clip.Pcm.Length; offset += ChunkBytes)
            await ws.SendAsync(clip.Pcm.AsMemory(offset, Math.Min(ChunkBytes, clip.Pcm.Length - offset)), WebSocketMessageType.Binary, true, timeout.Token);
        await ws.SendAsync(CloseMessage, WebSocketMessageType.Text, true, timeout.Token);
        await reader;
        if (!closed) throw new InvalidOperationException($"{clip.Name}: the gateway closed without session.closed ({ws.CloseStatus} {ws.CloseStatusDescription})");
        if (ws.State == WebSocketState.CloseReceived)
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        return finals;
    }

    /// <summary>
    /// Starts a raw session, retrying while the pool answers engine_busy (the previous session's
    /// decoder may still be resetting), as the gateway's worker pool does for its sessions.
    /// </summary>
    private static async Task<ISpeechToTextSession> StartRawAsync(PocketSphinxEngine engine, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await engine.StartSessionAsync(new SttSessionOptions { InterimResults = false, Endpointing = null }, cancellationToken);
            }
            catch (EngineException ex) when (ex.Code == "engine_busy" && attempt < 10)
            {
            }
        }
    }

    private static async Task WaitForIdleAsync(PocketSphinxEngine engine, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 10);
        while (engine.AvailableDecoders < engine.Capabilities.MaxConcurrency && Stopwatch.GetTimestamp() < deadline)
            await Task.Delay(20, cancellationToken);
        await Task.Delay(500, cancellationToken);
    }
}
