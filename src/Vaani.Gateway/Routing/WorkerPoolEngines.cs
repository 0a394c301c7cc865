using System.Runtime.CompilerServices;
using Vaani.Engines;
using Vaani.Workers.Client;
using Vaani.Workers.Supervision;

namespace Vaani.Gateway.Routing;

/// <summary>
/// An STT engine over one supervised worker pool. Each session is placed on the least-loaded
/// Serving worker; a worker that refuses (busy) or is lost is skipped. While no worker serves
/// (e.g. during a restart after a crash) placement waits, bounded by the caller's token.
/// </summary>
public sealed class WorkerPoolSttEngine(WorkerSupervisor supervisor, EngineCapabilities capabilities) : ISpeechToTextEngine
{
    public EngineCapabilities Capabilities => capabilities;

    public async ValueTask<ISpeechToTextSession> StartSessionAsync(SttSessionOptions options, CancellationToken cancellationToken)
    {
        EngineException? last = null;
        while (true)
        {
            foreach (var connection in WorkerPlacement.Candidates(supervisor, c => c.Stt is not null))
            {
                try { return await connection.Stt!.StartSessionAsync(options, cancellationToken).ConfigureAwait(false); }
                catch (EngineException ex) when (!ex.IsPermanent) { last = ex; }
            }
            await WorkerPlacement.WaitForWorkerAsync(supervisor, last, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>A TTS engine over one supervised worker pool (see <see cref="WorkerPoolSttEngine"/>).</summary>
public sealed class WorkerPoolTtsEngine(WorkerSupervisor supervisor, EngineCapabilities capabilities) : ITextToSpeechEngine
{
    public EngineCapabilities Capabilities => capabilities;

    /// <summary>
    /// Synthesis is placed once; if the worker is lost mid-request the request fails with
    /// <c>worker_lost</c> (re-running it would repeat audio the client already has).
    /// </summary>
    public async IAsyncEnumerable<TtsEvent> SynthesizeAsync(TtsRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            foreach (var connection in WorkerPlacement.Candidates(supervisor, c => c.Tts is not null))
            {
                var stream = connection.Tts!.SynthesizeAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
                bool first;
                try { first = await stream.MoveNextAsync().ConfigureAwait(false); }
                catch (EngineException ex) when (!ex.IsPermanent && ex.Code is "worker_busy" or "engine_busy")
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                    continue;
                }
                try
                {
                    if (!first) yield break;
                    yield return stream.Current;
                    while (await stream.MoveNextAsync().ConfigureAwait(false))
                        yield return stream.Current;
                    yield break;
                }
                finally
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }
            }
            await WorkerPlacement.WaitForWorkerAsync(supervisor, null, cancellationToken).ConfigureAwait(false);
        }
    }
}

internal static class WorkerPlacement
{
    /// <summary>Serving connections, least loaded first.</summary>
    public static IEnumerable<WorkerConnection> Candidates(WorkerSupervisor supervisor, Func<WorkerConnection, bool> serves) =>
        supervisor.ServingConnections.Where(serves)
            .OrderBy(c => c.Capacity.Capacity == 0 ? 1.0 : (double)c.Capacity.Active / c.Capacity.Capacity);

    /// <summary>Waits briefly for a worker to become available; the caller's token bounds the total wait.</summary>
    public static async Task WaitForWorkerAsync(WorkerSupervisor supervisor, EngineException? last, CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
            throw last ?? new EngineException("no_worker", "no worker of the pool is serving", isPermanent: false);
        await Task.Delay(TimeSpan.FromMilliseconds(50), ct).ConfigureAwait(false);
    }
}
