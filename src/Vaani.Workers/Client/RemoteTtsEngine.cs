using System.Runtime.CompilerServices;
using Vaani.Engines;
using Vaani.Workers.Protocol;

namespace Vaani.Workers.Client;

/// <summary>
/// An <see cref="ITextToSpeechEngine"/> running in a worker process, reached over a
/// <see cref="WorkerConnection"/>. Audio flows within a credit window that is refilled as the
/// caller consumes it, so a slow consumer slows the worker's synthesis instead of growing memory.
/// </summary>
public sealed class RemoteTtsEngine : ITextToSpeechEngine
{
    private readonly WorkerConnection _connection;

    internal RemoteTtsEngine(WorkerConnection connection, EngineCapabilities capabilities)
    {
        _connection = connection;
        Capabilities = capabilities;
    }

    public EngineCapabilities Capabilities { get; }

    /// <exception cref="EngineException"><c>start_timeout</c> when the first frame does not arrive within
    /// <see cref="WorkerConnectionOptions.StartTimeout"/>, <c>worker_lost</c>, or the worker's own error.</exception>
    public async IAsyncEnumerable<TtsEvent> SynthesizeAsync(TtsRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var remote = new RemoteTtsRequest(_connection, _connection.NextChannelId());
        try
        {
            await remote.StartAsync(request, cancellationToken).ConfigureAwait(false);
            var first = true;
            while (await remote.ReadAsync(first, cancellationToken).ConfigureAwait(false) is { } e)
            {
                first = false;
                yield return e;
                if (e is TtsAudio audio)
                    await remote.CreditAsync(audio.Audio.Length, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            remote.Close();
        }
    }
}
