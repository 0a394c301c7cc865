using Vaani.Engines;
using Vaani.Speech.Transcripts;

namespace Vaani.Speech.Batch;

/// <summary>
/// Transcribes a whole decoded input through a streaming engine session: audio goes in as fast
/// as the engine takes it, in fixed chunks, then the session is completed and its finals collected.
/// </summary>
public static class BatchTranscriber
{
    /// <summary>Chunk fed to the engine per call (100 ms at 16 kHz linear16).</summary>
    public const int ChunkBytes = 3200;

    /// <param name="engine">The engine; <paramref name="audio"/> must be in its native format.</param>
    public static async Task<Transcript> TranscribeAsync(ISpeechToTextEngine engine, ReadOnlyMemory<byte> audio, SttSessionOptions options, CancellationToken cancellationToken)
    {
        var format = engine.Capabilities.NativeFormat;
        var session = await engine.StartSessionAsync(options with { InterimResults = false }, cancellationToken).ConfigureAwait(false);
        await using var sessionScope = session.ConfigureAwait(false);
        var finals = new List<SttFinal>();
        var reader = Task.Run(async () =>
        {
            await foreach (var e in session.ReadEventsAsync(cancellationToken).ConfigureAwait(false))
                if (e is SttFinal f) finals.Add(f);
        }, cancellationToken);
        for (int offset = 0; offset < audio.Length; offset += ChunkBytes)
        {
            if (reader.IsFaulted) break;
            await session.SendAudioAsync(audio.Slice(offset, Math.Min(ChunkBytes, audio.Length - offset)), cancellationToken).ConfigureAwait(false);
        }
        await session.CompleteAsync(cancellationToken).ConfigureAwait(false);
        await reader.ConfigureAwait(false);
        return new Transcript(finals, format.DurationOf(audio.Length), options.Language);
    }
}
