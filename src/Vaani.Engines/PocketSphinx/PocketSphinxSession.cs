using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Vaani.Engines.PocketSphinx.Native;

namespace Vaani.Engines.PocketSphinx;

/// <summary>
/// One recognition stream on a pooled decoder. Commands (audio, finalize, complete) go through a
/// bounded queue to a single pump that owns the decoder, so every native call for it happens on one
/// thread; events go out through a bounded queue, so a reader that falls behind slows the pump and
/// then the sender instead of growing memory.
/// <para>
/// The pump is a thread of its own, not a thread-pool thread: decoding blocks its thread for as long
/// as audio is queued (seconds, for a clip sent at once), and with every pool thread inside a decoder
/// the process's other work (a worker's socket reads, session starts, the decoders' resets) would
/// wait for the pool to inject threads, half a second at a time.
/// </para>
/// </summary>
internal sealed class PocketSphinxSession : ISpeechToTextSession
{
    /// <summary>Largest slice of audio queued as one command; bigger sends are split.</summary>
    internal const int MaxQueuedChunkBytes = 64 * 1024;
    private const int InputCapacity = 32;
    private const int EventCapacity = 256;

    private readonly Channel<Command> _input = Channel.CreateBounded<Command>(
        new BoundedChannelOptions(InputCapacity) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });
    private readonly Channel<SttEvent> _events = Channel.CreateBounded<SttEvent>(
        new BoundedChannelOptions(EventCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _stop = new();
    private readonly PocketSphinxDecoder _decoder;
    private readonly Action<PocketSphinxDecoder> _returnDecoder;
    private readonly StreamRecognizer _recognizer;
    private readonly Task _pump;
    private int _completed;
    private int _disposed;
    private volatile Exception? _failure;

    public PocketSphinxSession(PocketSphinxDecoder decoder, SttSessionOptions session, PocketSphinxOptions options, Action<PocketSphinxDecoder> returnDecoder)
    {
        _decoder = decoder;
        _returnDecoder = returnDecoder;
        _recognizer = new StreamRecognizer(decoder, session, options);
        _pump = Task.Factory.StartNew(Pump, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public async ValueTask SendAudioAsync(ReadOnlyMemory<byte> audio, CancellationToken cancellationToken)
    {
        EnsureOpen();
        while (!audio.IsEmpty)
        {
            var n = Math.Min(audio.Length, MaxQueuedChunkBytes);
            await EnqueueAsync(new Command(CommandKind.Audio, audio[..n].ToArray()), cancellationToken).ConfigureAwait(false);
            audio = audio[n..];
        }
    }

    public ValueTask FinalizeAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        return EnqueueAsync(new Command(CommandKind.Finalize, null), cancellationToken);
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        await EnqueueAsync(new Command(CommandKind.Complete, null), cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _completed, 1);
        _input.Writer.TryComplete();
    }

    public async IAsyncEnumerable<SttEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in _events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            yield return e;
    }

    private void EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_failure is not null)
            throw _failure;
        if (Volatile.Read(ref _completed) != 0)
            throw new InvalidOperationException("the session was completed: no more audio or commands are accepted");
    }

    private async ValueTask EnqueueAsync(Command command, CancellationToken cancellationToken)
    {
        try
        {
            await _input.Writer.WriteAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            EnsureOpen();
            throw new InvalidOperationException("the session no longer accepts input");
        }
    }

    /// <summary>Runs on its own thread (see the class summary): waits block it, never a pool thread.</summary>
    private void Pump()
    {
        var events = new List<SttEvent>();
        var token = _stop.Token;
        try
        {
            _recognizer.Start();
            while (Next(token) is { } command)
            {
                events.Clear();
                switch (command.Kind)
                {
                    case CommandKind.Audio:
                        _recognizer.Feed(command.Audio, events);
                        break;
                    case CommandKind.Finalize:
                        _recognizer.FinalizeUtterance(events);
                        break;
                    case CommandKind.Complete:
                        _recognizer.Complete(events);
                        break;
                }
                foreach (var e in events)
                {
                    if (!_events.Writer.TryWrite(e))
                        _events.Writer.WriteAsync(e, token).AsTask().GetAwaiter().GetResult();
                }
                if (command.Kind == CommandKind.Complete)
                    break;
            }
            _events.Writer.TryComplete();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            _events.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            var failure = ex as EngineException
                ?? new EngineException("engine_failed", $"pocketsphinx session failed: {ex.Message}", isPermanent: false, ex);
            _failure = failure;
            _input.Writer.TryComplete();
            _events.Writer.TryComplete(failure);
        }
    }

    /// <summary>The next command, waiting on this thread while none is queued; null once input has ended.</summary>
    private Command? Next(CancellationToken token)
    {
        var reader = _input.Reader;
        while (true)
        {
            if (reader.TryRead(out var command))
                return command;
            if (!reader.WaitToReadAsync(token).AsTask().GetAwaiter().GetResult())
                return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _input.Writer.TryComplete();
        try
        {
            await _pump.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The pump records its failures itself; disposal must always return the decoder.
        }
        _events.Writer.TryComplete();
        _stop.Dispose();
        _returnDecoder(_decoder);
    }

    private enum CommandKind { Audio, Finalize, Complete }

    private readonly record struct Command(CommandKind Kind, byte[]? Audio);
}
