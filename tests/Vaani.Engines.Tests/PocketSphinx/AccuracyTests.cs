using System.Diagnostics;
using Vaani.Engines.PocketSphinx;
using Vaani.Engines.PocketSphinx.Native;
using Vaani.Engines.Tests.TestData;
using Xunit.Abstractions;

namespace Vaani.Engines.Tests.PocketSphinx;

[Collection(PocketSphinxCollection.Name)]
public sealed class AccuracyTests(PocketSphinxFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Session_LibrivoxClips_WerNoWorseThanPocketSphinxContinuous()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ours = default(WordErrorRate.Result);
        var reference = default(WordErrorRate.Result);
        foreach (var clip in SpeechTestData.Librivox())
        {
            var events = await SessionRunner.RunAsync(fixture.Engine, SpeechTestData.ReadWavPcm16k(clip.WavPath), SessionRunner.Chunks20Ms);
            var cli = await ReferenceDecoder.TranscribeAsync(clip.WavPath, cts.Token);
            var o = WordErrorRate.Compute(clip.Transcript, events.Transcript());
            var r = WordErrorRate.Compute(clip.Transcript, cli);
            output.WriteLine($"{clip.Id}: ours {o.Errors}/{o.ReferenceWords} \"{events.Transcript()}\"; continuous {r.Errors}/{r.ReferenceWords} \"{cli}\"");
            ours += o;
            reference += r;
        }
        output.WriteLine($"WER ours {ours.Rate:P1} ({ours.Errors}/{ours.ReferenceWords}), pocketsphinx_continuous {reference.Rate:P1} ({reference.Errors}/{reference.ReferenceWords})");

        Assert.True(reference.Errors > 0, "the reference tool should make some errors on these clips; if not, the comparison is meaningless");
        Assert.True(ours.Errors <= reference.Errors, $"ours {ours.Errors} errors vs pocketsphinx_continuous {reference.Errors}");
    }

    // Set VAANI_SPHINX_ALL_PASSES=1 to also measure the two bestpath=no combinations (for the docs table).
    private static readonly (bool Flat, bool Best)[] Configurations =
        Environment.GetEnvironmentVariable("VAANI_SPHINX_ALL_PASSES") == "1"
            ? [(true, true), (false, true), (true, false), (false, false)]
            : [(true, true), (false, true)];

    /// <summary>
    /// The second passes trade finalisation latency for accuracy. Measures both on the LibriVox
    /// clips (numbers go to the test output and docs/engines-pocketsphinx.md) and checks the
    /// claim the default relies on: dropping the flat-lexicon pass makes finals much faster
    /// without costing accuracy.
    /// </summary>
    [Fact]
    public void Recognizer_SecondPassesOnAndOff_FlatPassCostsLatencyNotAccuracy()
    {
        var clips = SpeechTestData.Librivox().Select(c => (c, Audio: SpeechTestData.ReadWavPcm16k(c.WavPath))).ToList();
        var results = new Dictionary<(bool Flat, bool Best), (WordErrorRate.Result Wer, TimeSpan Mean, TimeSpan Max)>();
        output.WriteLine("finalisation = end of input -> final: flush + end-of-utterance passes + word collection; CPU time of the decoding thread (wall clock in brackets)");
        foreach (var (flat, best) in Configurations)
        {
            var options = new PocketSphinxOptions { FlatLexiconPass = flat, BestPathPass = best };
            using var decoder = PocketSphinxDecoder.Create(options.ToArguments());
            var wer = default(WordErrorRate.Result);
            var latencies = new List<TimeSpan>();
            var wall = new List<TimeSpan>();
            foreach (var (clip, audio) in clips)
            {
                decoder.Reset();
                var recognizer = new StreamRecognizer(decoder, new SttSessionOptions { InterimResults = false, Endpointing = null }, options);
                var events = new List<SttEvent>();
                recognizer.Start();
                recognizer.Feed(audio, events);
                // Complete = end of speech -> final: the flush, the end-of-utterance passes and the word collection.
                var started = Stopwatch.GetTimestamp();
                var cpuStarted = ThreadCpuTime.Now();
                recognizer.Complete(events);
                latencies.Add(ThreadCpuTime.Now() - cpuStarted);
                wall.Add(Stopwatch.GetElapsedTime(started));
                wer += WordErrorRate.Compute(clip.Transcript, events.Transcript());
            }
            var mean = TimeSpan.FromTicks((long)latencies.Average(l => l.Ticks));
            results[(flat, best)] = (wer, mean, latencies.Max());
            output.WriteLine($"fwdflat={(flat ? "yes" : "no ")} bestpath={(best ? "yes" : "no ")}: WER {wer.Rate:P1} ({wer.Errors}/{wer.ReferenceWords}), finalisation mean {mean.TotalMilliseconds:0.0} ms, max {latencies.Max().TotalMilliseconds:0.0} ms (wall mean {wall.Average(w => w.TotalMilliseconds):0.0} ms)");
        }

        var withFlat = results[(true, true)];
        var fast = results[(false, true)];
        Assert.True(fast.Wer.Errors <= withFlat.Wer.Errors, $"without fwdflat {fast.Wer.Errors} errors, with {withFlat.Wer.Errors}");
        Assert.True(fast.Mean < withFlat.Mean, $"without fwdflat {fast.Mean.TotalMilliseconds} ms, with {withFlat.Mean.TotalMilliseconds} ms");
    }
}
