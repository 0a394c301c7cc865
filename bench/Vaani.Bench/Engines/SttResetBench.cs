using System.Diagnostics;
using Vaani.Bench.Common;
using Vaani.Engines;
using Vaani.Engines.PocketSphinx;
using Vaani.Engines.PocketSphinx.Native;

namespace Vaani.Bench.Engines;

/// <summary>
/// Section 4: what a decoder costs between two sessions. After each clip the decoder is reset as
/// the pool does it (in place: end the utterance, restore live CMN, start a new stream) and, on the
/// next clip, rebuilt as it was before (<c>ps_reinit</c>), alternating, on one decoder.
/// </summary>
internal sealed class SttResetBench(SttCorpus corpus, int rounds)
{
    public Task RunAsync(TextWriter output, CancellationToken cancellationToken) => Task.Run(() => Run(output, cancellationToken), cancellationToken);

    private void Run(TextWriter output, CancellationToken cancellationToken)
    {
        var options = new PocketSphinxOptions();
        using var decoder = PocketSphinxDecoder.Create(options.ToArguments());
        var inPlace = new List<double>();
        var rebuild = new List<double>();
        var decode = new List<double>();
        // Untimed warm-up: JIT, page cache.
        Decode(decoder, options, corpus.Clips[0]);
        decoder.Reset();
        decoder.Rebuild();
        for (int round = 0; round < rounds; round++)
        {
            foreach (var clip in corpus.Clips)
            {
                cancellationToken.ThrowIfCancellationRequested();
                decode.Add(Decode(decoder, options, clip));
                inPlace.Add(Time(decoder.Reset));
                Decode(decoder, options, clip);
                rebuild.Add(Time(decoder.Rebuild));
            }
        }

        double inPlaceMs = Stats.Median(inPlace), rebuildMs = Stats.Median(rebuild), decodeMs = Stats.Median(decode);
        output.WriteLine($"## 4. STT decoder reset between sessions: {inPlace.Count} resets of each kind, one decoder, alternating, medians");
        output.WriteLine($"in place = what the pool does (ResetsInPlace: {decoder.ResetsInPlace}); ps_reinit = the full rebuild it replaces. Each follows the decode of one corpus clip.");
        output.WriteLine();
        var table = new Table("figure", "in place", "ps_reinit", "ps_reinit ÷ in place");
        table.Add("wall time per reset", Ms(inPlaceMs), Ms(rebuildMs), Format.Times(rebuildMs / inPlaceMs));
        table.Add($"share of a session's decoder time (clip decode {Ms(decodeMs)} + reset)", Percent(inPlaceMs / (decodeMs + inPlaceMs)), Percent(rebuildMs / (decodeMs + rebuildMs)), "");
        table.Print(output);
        output.WriteLine($"corpus clips: {corpus.Clips.Count}, {corpus.TotalSeconds / corpus.Clips.Count:0.0} s on average; decode = the clip fed at once, then completed (second passes included).");
        output.WriteLine();
    }

    private static double Decode(PocketSphinxDecoder decoder, PocketSphinxOptions options, SttClip clip)
    {
        long t0 = Stopwatch.GetTimestamp();
        var recognizer = new StreamRecognizer(decoder, new SttSessionOptions { InterimResults = false, Endpointing = null }, options);
        var events = new List<SttEvent>();
        recognizer.Start();
        recognizer.Feed(clip.Pcm, events);
        recognizer.Complete(events);
        return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }

    private static double Time(Action action)
    {
        long t0 = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }

    private static string Percent(double share) => Format.Number(share * 100, "0.0") + " %";

    private static string Ms(double ms) => Format.Number(ms, ms < 1 ? "0.000" : "0.0") + " ms";
}
