using Vaani.Engines;
using Vaani.Workers.Protocol;

namespace Vaani.Workers.Hosting;

/// <summary>
/// One TTS request inside a worker: forwards the engine's words and audio, sending audio only
/// while the gateway's credit window allows, then TtsDone.
/// </summary>
internal sealed class HostedTtsRequest : IHostedChannel
{
    /// <summary>Largest TtsAudio payload sent; bigger engine chunks are split.</summary>
    private const int MaxChunk = 64 * 1024;

    private readonly uint _channel;
    private readonly ITextToSpeechEngine _engine;
    private readonly StartTtsMessage _start;
    private readonly WorkerConnectionHandler _connection;
    private readonly ChannelSlot _slot;
    private readonly CreditWindow _window;
    private readonly CancellationTokenSource _cts;
    private Task _completion = Task.CompletedTask;

    public HostedTtsRequest(uint channel, ITextToSpeechEngine engine, StartTtsMessage start, WorkerConnectionHandler connection, ChannelSlot slot, CancellationToken connectionToken)
    {
        _slot = slot;
        _channel = channel;
        _engine = engine;
        _start = start;
        _connection = connection;
        _window = new CreditWindow(start.Window);
        _cts = CancellationTokenSource.CreateLinkedTokenSource(connectionToken);
    }

    public Task Completion => _completion;

    public void Start() => _completion = Task.Run(RunAsync);

    public void OnFrame(Frame frame)
    {
        if (frame.Type != FrameType.Credit)
            throw new ProtocolException("unexpected_frame", $"a TTS request does not accept {frame.Type} frames");
        if (!_window.Release(Frames.ReadCredit(frame)))
            throw new ProtocolException("bad_credit", $"channel {_channel} was credited more TTS audio than was sent");
    }

    public void Cancel()
    {
        try { _cts.Cancel(); } catch (ObjectDisposedException) { }
    }

    private async Task RunAsync()
    {
        var token = _cts.Token;
        var writer = _connection.Writer;
        try
        {
            await foreach (var e in _engine.SynthesizeAsync(_start.Request, token).ConfigureAwait(false))
            {
                switch (e)
                {
                    case TtsWord word:
                        await writer.SendAsync(Frames.Json(FrameType.TtsWord, _channel, word), token).ConfigureAwait(false);
                        break;
                    case TtsAudio audio:
                        var chunkSize = Math.Min(MaxChunk, _window.Size);
                        for (var offset = 0; offset < audio.Audio.Length; offset += chunkSize)
                        {
                            var chunk = audio.Audio.Slice(offset, Math.Min(chunkSize, audio.Audio.Length - offset));
                            await _window.TakeAsync(chunk.Length, token).ConfigureAwait(false);
                            await writer.SendAsync(new Frame(FrameType.TtsAudio, _channel, chunk.ToArray()), token).ConfigureAwait(false);
                        }
                        break;
                }
            }
            // The engine's request ended with the loop; the slot goes back before the last frame (see ChannelSlot).
            _slot.Free();
            await writer.SendAsync(Frame.Empty(FrameType.TtsDone, _channel), token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _slot.Free();
            writer.TrySend(Frames.Error(_channel, ex));
        }
        finally
        {
            _cts.Dispose();
        }
    }
}
