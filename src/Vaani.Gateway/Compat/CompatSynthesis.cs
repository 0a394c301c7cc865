using Vaani.Engines;

namespace Vaani.Gateway.Compat;

/// <summary>Runs one synthesis request through a <see cref="SpeechEncoder"/>; returns the seconds of audio produced.</summary>
internal static class CompatSynthesis
{
    /// <param name="first">An already-started enumerator (so a request error can still become a 4xx before any byte is sent).</param>
    public static async Task<double> PumpAsync(IAsyncEnumerator<TtsEvent> first, bool hasCurrent, SpeechEncoder encoder, int nativeRate, CancellationToken ct)
    {
        long samples = 0;
        bool any = hasCurrent;
        while (any)
        {
            if (first.Current is TtsAudio a)
            {
                samples += a.Audio.Length / 2;
                await encoder.WriteAsync(a.Audio, ct);
            }
            any = await first.MoveNextAsync();
        }
        await encoder.CompleteAsync(ct);
        return (double)samples / nativeRate;
    }
}
