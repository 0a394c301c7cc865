using System.Diagnostics;
using Vaani.Engines.PocketSphinx;

namespace Vaani.Engines.Tests.PocketSphinx;

/// <summary>Runs the Debian <c>pocketsphinx_continuous</c> tool with the engine's model, as the accuracy reference.</summary>
internal static class ReferenceDecoder
{
    public static async Task<string> TranscribeAsync(string wavPath, CancellationToken ct)
    {
        var model = new PocketSphinxOptions();
        var start = new ProcessStartInfo("pocketsphinx_continuous")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-hmm", model.AcousticModel, "-lm", model.LanguageModel, "-dict", model.Dictionary, "-infile", wavPath, "-logfn", "/dev/null" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("pocketsphinx_continuous did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"pocketsphinx_continuous failed ({process.ExitCode}): {await stderr}");
        // One line per utterance.
        return string.Join(' ', (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
