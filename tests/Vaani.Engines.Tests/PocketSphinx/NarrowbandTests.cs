using System.Buffers;
using System.Diagnostics;
using Vaani.Audio;
using Vaani.Audio.Conversion;
using Vaani.Engines.Tests.TestData;
using Xunit.Abstractions;

namespace Vaani.Engines.Tests.PocketSphinx;

/// <summary>
/// Telephony input (μ-law 8 kHz, made from the wideband recordings by sox) reaching the wideband
/// en-US model: folded (zero-insertion upsampling) it is recognised, properly resampled it is not.
/// </summary>
[Collection(PocketSphinxCollection.Name)]
public sealed class NarrowbandTests(PocketSphinxFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void Capabilities_PocketSphinx_FoldsNarrowbandInput() =>
        Assert.True(fixture.Engine.Capabilities.FoldNarrowbandInput);

    [Fact]
    public async Task Session_GoForwardMulaw8k_FoldedRecognisedResampledNot()
    {
        var mulaw = MulawFromPcm16k(SpeechTestData.GoForward());

        var folded = await SessionRunner.RunAsync(fixture.Engine, ToNative(mulaw, fold: true), SessionRunner.Chunks20Ms);
        var resampled = await SessionRunner.RunAsync(fixture.Engine, ToNative(mulaw, fold: false), SessionRunner.Chunks20Ms);
        output.WriteLine($"folded \"{folded.Transcript()}\", resampled \"{resampled.Transcript()}\"");

        Assert.Equal("go forward ten meters", folded.Transcript());
        Assert.Equal(["go", "forward", "ten", "meters"], folded.Words().Select(w => w.Word));
        Assert.InRange(folded.Words()[0].Start.TotalSeconds, 0.3, 0.6);
        Assert.NotEqual("go forward ten meters", resampled.Transcript());
    }

    /// <summary>
    /// The five LibriVox clips as μ-law 8 kHz. Measured: folded 38 % WER, resampled 97 %; see
    /// docs/engines-pocketsphinx.md.
    /// </summary>
    [Fact]
    public async Task Session_LibrivoxMulaw8k_FoldedWerFarBelowResampled()
    {
        var folded = default(WordErrorRate.Result);
        var resampled = default(WordErrorRate.Result);
        var options = new SttSessionOptions { InterimResults = false };
        foreach (var clip in SpeechTestData.Librivox())
        {
            var mulaw = MulawFromPcm16k(SpeechTestData.ReadWavPcm16k(clip.WavPath));
            var f = await SessionRunner.RunAsync(fixture.Engine, ToNative(mulaw, fold: true), [3200], options);
            var r = await SessionRunner.RunAsync(fixture.Engine, ToNative(mulaw, fold: false), [3200], options);
            folded += WordErrorRate.Compute(clip.Transcript, f.Transcript());
            resampled += WordErrorRate.Compute(clip.Transcript, r.Transcript());
            output.WriteLine($"{clip.Id}: folded \"{f.Transcript()}\"; resampled \"{r.Transcript()}\"");
        }
        output.WriteLine($"μ-law 8 kHz WER: folded {folded.Rate:P1} ({folded.Errors}/{folded.ReferenceWords}), resampled {resampled.Rate:P1} ({resampled.Errors}/{resampled.ReferenceWords})");

        Assert.True(folded.Rate < 0.50, $"folded WER {folded.Rate:P1}");
        Assert.True(folded.Rate < resampled.Rate - 0.25, $"folded WER {folded.Rate:P1} vs resampled {resampled.Rate:P1}");
    }

    private static byte[] ToNative(byte[] mulaw8k, bool fold)
    {
        var converter = new AudioConverter(AudioFormat.Mulaw(8000), AudioFormat.Linear16(16000), fold);
        Assert.Equal(fold, converter.FoldsNarrowband);
        var native = new ArrayBufferWriter<byte>(mulaw8k.Length * 4);
        converter.Convert(mulaw8k, native);
        converter.Flush(native);
        return native.WrittenSpan.ToArray();
    }

    /// <summary>16 kHz linear16 → μ-law 8 kHz by sox (band-limited, no dither), as a telephone line would deliver it.</summary>
    private static byte[] MulawFromPcm16k(byte[] pcm)
    {
        var start = new ProcessStartInfo("sox")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-D", "-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1", "-", "-t", "raw", "-r", "8000", "-e", "u-law", "-b", "8", "-" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("sox did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        process.StandardInput.BaseStream.Write(pcm);
        process.StandardInput.Close();
        copy.Wait();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"sox failed ({process.ExitCode}): {stderr.Result}");
        return stdout.ToArray();
    }
}
