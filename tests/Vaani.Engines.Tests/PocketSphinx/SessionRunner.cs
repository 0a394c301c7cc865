namespace Vaani.Engines.Tests.PocketSphinx;

/// <summary>Drives a session with real audio and collects every event until the stream completes.</summary>
internal static class SessionRunner
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    /// <summary>Sends <paramref name="audio"/> in chunks of the given sizes (cycled), completes, and returns all events.</summary>
    public static async Task<List<SttEvent>> RunAsync(ISpeechToTextEngine engine, byte[] audio, IReadOnlyList<int> chunkSizes, SttSessionOptions? options = null)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var session = await engine.StartSessionAsync(options ?? new SttSessionOptions(), cts.Token);
        var reader = CollectAsync(session, cts.Token);
        await SendAsync(session, audio, chunkSizes, cts.Token);
        await session.CompleteAsync(cts.Token);
        return await reader;
    }

    public static async Task SendAsync(ISpeechToTextSession session, ReadOnlyMemory<byte> audio, IReadOnlyList<int> chunkSizes, CancellationToken ct)
    {
        var i = 0;
        while (!audio.IsEmpty)
        {
            var n = Math.Min(chunkSizes[i++ % chunkSizes.Count], audio.Length);
            await session.SendAudioAsync(audio[..n], ct);
            audio = audio[n..];
        }
    }

    public static Task<List<SttEvent>> CollectAsync(ISpeechToTextSession session, CancellationToken ct) => Task.Run(async () =>
    {
        var events = new List<SttEvent>();
        await foreach (var e in session.ReadEventsAsync(ct))
            events.Add(e);
        return events;
    }, ct);

    public static IEnumerable<SttFinal> Finals(this IEnumerable<SttEvent> events) => events.OfType<SttFinal>();

    /// <summary>All final words of a run, in order.</summary>
    public static List<WordTiming> Words(this IEnumerable<SttEvent> events) => events.Finals().SelectMany(f => f.Words).ToList();

    /// <summary>The transcript of a run: the finals' texts joined.</summary>
    public static string Transcript(this IEnumerable<SttEvent> events) =>
        string.Join(' ', events.Finals().Select(f => f.Text).Where(t => t.Length > 0));

    public static readonly int[] Chunks20Ms = [640];

    /// <summary>Odd byte counts, some splitting samples, some tiny, some large.</summary>
    public static readonly int[] OddChunks = [1, 333, 7, 4097, 999, 2, 61, 12_345];
}
