using System.Threading.Channels;
using Vaani.Engines.PocketSphinx.Native;

namespace Vaani.Engines.PocketSphinx;

/// <summary>
/// Decoders built ahead of time (each costs ~0.5 s and ~100 MB), lent to one session at a time.
/// A returned decoder is reset (<see cref="PocketSphinxDecoder.Reset"/>: live CMN restored, a new
/// stream started) before anyone else gets it, so adaptation to one session's audio (live CMN,
/// noise statistics, VAD state) never leaks into the next.
/// </summary>
internal sealed class DecoderPool : IAsyncDisposable
{
    private readonly Channel<PocketSphinxDecoder> _free = Channel.CreateUnbounded<PocketSphinxDecoder>();
    private readonly PocketSphinxOptions _options;
    private readonly IReadOnlyList<string> _arguments;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<Task> _resets = [];
    private int _waiting;
    private bool _disposed;

    private DecoderPool(PocketSphinxOptions options, TimeProvider time)
    {
        _options = options;
        _arguments = options.ToArguments();
        _time = time;
    }

    /// <summary>Builds <see cref="PocketSphinxOptions.PoolSize"/> decoders, one after another, off the caller's thread.</summary>
    public static async Task<DecoderPool> CreateAsync(PocketSphinxOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var pool = new DecoderPool(options, time);
        try
        {
            for (var i = 0; i < options.PoolSize; i++)
            {
                var decoder = await Task.Run(() => PocketSphinxDecoder.Create(pool._arguments), cancellationToken).ConfigureAwait(false);
                pool._free.Writer.TryWrite(decoder);
            }
            return pool;
        }
        catch
        {
            await pool.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Decoders currently free.</summary>
    public int Available => _free.Reader.Count;

    /// <summary>
    /// Takes a free decoder, waiting up to <see cref="PocketSphinxOptions.DecoderWait"/>; fails with
    /// <c>engine_busy</c> when none frees up in time or too many callers already wait.
    /// </summary>
    public async ValueTask<PocketSphinxDecoder> RentAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_free.Reader.TryRead(out var decoder))
            return decoder;
        if (_options.DecoderWait == TimeSpan.Zero)
            throw Busy("no decoder is free");
        if (Interlocked.Increment(ref _waiting) > _options.MaxWaitingSessions)
        {
            Interlocked.Decrement(ref _waiting);
            throw Busy($"{_options.MaxWaitingSessions} sessions already wait for a decoder");
        }
        try
        {
            using var timeout = new CancellationTokenSource(_options.DecoderWait, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            return await _free.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Busy($"no decoder became free within {_options.DecoderWait.TotalMilliseconds:0} ms");
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(DecoderPool));
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    /// <summary>Takes a decoder back; it becomes available again once it has been reset.</summary>
    public void Return(PocketSphinxDecoder decoder)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                decoder.Dispose();
                return;
            }
            _resets.RemoveAll(t => t.IsCompleted);
            // A thread of its own: a reset is microseconds, but one that ends an utterance left open
            // (a session disposed mid-speech) runs the search's final passes, and a fallback rebuild
            // (ps_reinit) ~0.4 s of CPU; neither may wait for a pool thread nor hold one (see PocketSphinxSession).
            _resets.Add(Task.Factory.StartNew(() => ResetAndRelease(decoder), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        }
    }

    private void ResetAndRelease(PocketSphinxDecoder decoder)
    {
        try
        {
            decoder.Reset();
        }
        catch (Exception)
        {
            // A decoder that cannot be reset is not trusted again: replace it with a new one.
            Replace(decoder);
            return;
        }
        Release(decoder);
    }

    private void Replace(PocketSphinxDecoder broken)
    {
        broken.Dispose();
        PocketSphinxDecoder fresh;
        try
        {
            fresh = PocketSphinxDecoder.Create(_arguments);
        }
        catch (EngineException)
        {
            return; // the pool runs one decoder short; sessions see engine_busy sooner
        }
        Release(fresh);
    }

    private void Release(PocketSphinxDecoder decoder)
    {
        lock (_gate)
        {
            if (!_disposed && _free.Writer.TryWrite(decoder))
                return;
        }
        decoder.Dispose();
    }

    private static EngineException Busy(string why) =>
        new("engine_busy", $"pocketsphinx is at capacity: {why}; retry later", isPermanent: false);

    public async ValueTask DisposeAsync()
    {
        Task[] pending;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _free.Writer.TryComplete();
            pending = [.. _resets];
        }
        await Task.WhenAll(pending).ConfigureAwait(false);
        // Decoders still lent out are disposed when their sessions return them.
        while (_free.Reader.TryRead(out var decoder))
            decoder.Dispose();
    }
}
