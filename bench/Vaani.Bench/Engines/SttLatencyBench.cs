using System.Diagnostics;
using System.Threading.Channels;
using Vaani.Bench.Common;
using Vaani.Engines;
using Vaani.Engines.PocketSphinx;

namespace Vaani.Bench.Engines;

/// <summary>
/// Section 2: end of utterance to final result. Audio is streamed faster than real time (but slower
/// than the decoder, so no backlog builds up) in 100 ms chunks, once with endpointing and once
/// with an explicit <see cref="ISpeechToTextSession.FinalizeAsync"/> after each file.
/// </summary>
internal sealed class SttLatencyBench
{
    private const int ChunkBytes = 3200; // 100 ms
    private static readonly TimeSpan Chunk = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Endpointing = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan TrailingSilence = TimeSpan.FromSeconds(1);

    private readonly SttCorpus _corpus;
    private readonly int _runs;
    private readonly double _speed;

    public SttLatencyBench(SttCorpus corpus, int runs, double speed)
    {
        _corpus = corpus;
        _runs = runs;
        _speed = speed;
    }

    public async Task RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        await using var engine = await PocketSphinxEngine.CreateAsync(new PocketSphinxOptions(), cancellationToken);
        // Untimed warm-up so the first measured utterances do not pay for JIT compilation.
        await FinalizeRunAsync(engine, [_corpus.Clips[0]], cancellationToken);

        var endpointed = new List<double>();
        var finalized = new List<double>();
        for (var i = 0; i < _runs; i++)
        {
            await WaitForIdleAsync(engine, cancellationToken);
            endpointed.AddRange(await EndpointRunAsync(engine, cancellationToken));
            await WaitForIdleAsync(engine, cancellationToken);
            finalized.AddRange(await FinalizeRunAsync(engine, _corpus.Clips, cancellationToken));
        }

        output.WriteLine($"## 2. STT end-of-utterance → final latency: {_corpus.Clips.Count} files × {_runs} run(s), streamed at {_speed:0.#}× real time in 100 ms chunks");
        output.WriteLine("(engine defaults: -fwdflat no -bestpath yes, interim results on; latency = SttFinal received − the triggering chunk or FinalizeAsync was handed to the session)");
        output.WriteLine();
        var table = new Table("mode", "utterances", "p50", "p99", "mean", "max");
        Add(table, $"endpointing {Endpointing.TotalMilliseconds:0} ms (+{TrailingSilence.TotalSeconds:0.#} s silence after each file)", endpointed);
        Add(table, "FinalizeAsync at the end of each file", finalized);
        table.Print(output);
        output.WriteLine($"endpointing: measured from the chunk holding the endpoint (speech end + {Endpointing.TotalMilliseconds:0} ms, the final's End), so the endpointing silence itself is not counted.");
        output.WriteLine();
    }

    /// <summary>
    /// Waits until every decoder is back from its post-session reset, so a reset running in the
    /// background does not compete with the measured session for the CPU.
    /// </summary>
    private static async Task WaitForIdleAsync(PocketSphinxEngine engine, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 10);
        while (engine.AvailableDecoders < engine.Capabilities.MaxConcurrency && Stopwatch.GetTimestamp() < deadline)
            await Task.Delay(20, cancellationToken);
    }

    private static void Add(Table table, string mode, List<double> latencies) =>
        table.Add(mode, latencies.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Format.Ms(Stats.Percentile(latencies, 50)), Format.Ms(Stats.Percentile(latencies, 99)),
            Format.Ms(latencies.Count == 0 ? double.NaN : latencies.Average()), Format.Ms(latencies.Count == 0 ? double.NaN : latencies.Max()));

    /// <summary>All files back to back, each followed by silence, in one session with endpointing.</summary>
    private async Task<List<double>> EndpointRunAsync(PocketSphinxEngine engine, CancellationToken cancellationToken)
    {
        var silence = new byte[(int)(TrailingSilence.TotalSeconds * SttCorpus.Format.BytesPerSecond)];
        using var stream = new MemoryStream();
        foreach (var clip in _corpus.Clips)
        {
            stream.Write(clip.Pcm);
            stream.Write(silence);
        }
        var audio = stream.ToArray();
        var sent = new long[(audio.Length + ChunkBytes - 1) / ChunkBytes];
        var latencies = new List<double>();
        await using var session = await engine.StartSessionAsync(new SttSessionOptions { Endpointing = Endpointing }, cancellationToken);
        var reader = Task.Run(async () =>
        {
            await foreach (var e in session.ReadEventsAsync(cancellationToken))
            {
                if (e is not SttFinal { FromFinalize: false } final)
                    continue;
                var arrived = Stopwatch.GetTimestamp();
                // The final is emitted while the block holding its End is processed: find that chunk.
                var endByte = (long)Math.Round(final.End.TotalSeconds * SttCorpus.Format.BytesPerSecond);
                var chunk = (int)Math.Clamp(((endByte + ChunkBytes - 1) / ChunkBytes) - 1, 0, sent.Length - 1);
                latencies.Add(Stopwatch.GetElapsedTime(Volatile.Read(ref sent[chunk]), arrived).TotalMilliseconds);
            }
        }, cancellationToken);
        var pacer = new Pacer(_speed);
        for (var i = 0; i < sent.Length; i++)
        {
            await pacer.WaitForChunkAsync(i, cancellationToken);
            var offset = i * ChunkBytes;
            Volatile.Write(ref sent[i], Stopwatch.GetTimestamp());
            await session.SendAudioAsync(audio.AsMemory(offset, Math.Min(ChunkBytes, audio.Length - offset)), cancellationToken);
        }
        await session.CompleteAsync(cancellationToken);
        await reader;
        return latencies;
    }

    /// <summary>Each file streamed, then FinalizeAsync; the next file starts once its final has arrived.</summary>
    private async Task<List<double>> FinalizeRunAsync(PocketSphinxEngine engine, IReadOnlyList<SttClip> clips, CancellationToken cancellationToken)
    {
        var finals = Channel.CreateBounded<long>(4);
        var latencies = new List<double>();
        await using var session = await engine.StartSessionAsync(new SttSessionOptions { Endpointing = null }, cancellationToken);
        var reader = Task.Run(async () =>
        {
            Exception? failure = null;
            try
            {
                await foreach (var e in session.ReadEventsAsync(cancellationToken))
                {
                    if (e is SttFinal { FromFinalize: true })
                        await finals.Writer.WriteAsync(Stopwatch.GetTimestamp(), cancellationToken);
                }
            }
            catch (Exception ex)
            {
                failure = ex;
                throw;
            }
            finally
            {
                // A failed reader must fail the waiting sender too, not leave it waiting for a final.
                finals.Writer.TryComplete(failure);
            }
        }, cancellationToken);
        foreach (var clip in clips)
        {
            var pacer = new Pacer(_speed);
            var chunks = (clip.Pcm.Length + ChunkBytes - 1) / ChunkBytes;
            for (var i = 0; i < chunks; i++)
            {
                await pacer.WaitForChunkAsync(i, cancellationToken);
                var offset = i * ChunkBytes;
                await session.SendAudioAsync(clip.Pcm.AsMemory(offset, Math.Min(ChunkBytes, clip.Pcm.Length - offset)), cancellationToken);
            }
            var requested = Stopwatch.GetTimestamp();
            await session.FinalizeAsync(cancellationToken);
            var arrived = await finals.Reader.ReadAsync(cancellationToken);
            latencies.Add(Stopwatch.GetElapsedTime(requested, arrived).TotalMilliseconds);
        }
        await session.CompleteAsync(cancellationToken);
        while (await finals.Reader.WaitToReadAsync(cancellationToken))
            finals.Reader.TryRead(out _); // the empty final of CompleteAsync
        await reader;
        return latencies;
    }

    /// <summary>Sends chunk i at start + i × 100 ms / speed: a steady faster-than-real-time stream.</summary>
    private sealed class Pacer(double speed)
    {
        private readonly long _start = Stopwatch.GetTimestamp();

        public Task WaitForChunkAsync(int index, CancellationToken cancellationToken)
        {
            var due = Chunk * index / speed;
            var wait = due - Stopwatch.GetElapsedTime(_start);
            return wait > TimeSpan.FromMilliseconds(1) ? Task.Delay(wait, cancellationToken) : Task.CompletedTask;
        }
    }
}
