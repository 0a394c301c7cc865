using System.Collections.Concurrent;
using System.Net.Sockets;
using Vaani.Engines;
using Vaani.Workers.Protocol;

namespace Vaani.Workers.Hosting;

/// <summary>
/// Serves one gateway connection: sends Hello, then reads frames and routes them to the channel
/// they name. The reader never waits on an engine (data flows are credit-bounded), so one slow
/// session cannot hold up the others on the same connection.
/// </summary>
internal sealed class WorkerConnectionHandler
{
    private readonly Socket _socket;
    private readonly WorkerRuntime _runtime;
    private readonly ConcurrentDictionary<uint, IHostedChannel> _channels = new();

    public WorkerConnectionHandler(Socket socket, WorkerRuntime runtime)
    {
        _socket = socket;
        _runtime = runtime;
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        var stream = new NetworkStream(_socket, ownsSocket: true);
        await using var streamScope = stream.ConfigureAwait(false);
        using var connectionCts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        Writer = new FrameWriter(stream, _runtime.Options.WriteQueueFrames, () => new OperationCanceledException("the connection is closed"));
        try
        {
            var engines = _runtime.Engines;
            await Writer.SendAsync(Frames.Json(FrameType.Hello, 0, new HelloMessage(HelloMessage.CurrentProtocol, engines.Name, Environment.ProcessId,
                engines.Stt?.Capabilities, engines.Tts?.Capabilities, _runtime.Capacity, _runtime.Options.AudioWindow)), connectionCts.Token).ConfigureAwait(false);
            var input = new FrameReader();
            while (await input.ReadAsync(stream, connectionCts.Token).ConfigureAwait(false) is { } frame)
                await HandleAsync(frame, connectionCts.Token).ConfigureAwait(false);
        }
        catch (ProtocolException ex)
        {
            // Tell the peer why before closing; the connection cannot be trusted any more.
            Writer.TrySend(Frames.Error(0, ex));
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
        {
        }
        finally
        {
            await connectionCts.CancelAsync().ConfigureAwait(false);
            foreach (var channel in _channels.Values)
                channel.Cancel();
            await Task.WhenAll(_channels.Values.Select(c => c.Completion)).ConfigureAwait(false);
            Writer.Complete();
            try { await Writer.Completion.WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false); } catch (Exception) { }
        }
    }

    internal FrameWriter Writer { get; private set; } = null!;

    /// <summary>Ends a channel's hold on the worker: its capacity slot, its registration, then a load report.</summary>
    internal void FreeSlot(uint channel)
    {
        _runtime.Release();
        _channels.TryRemove(channel, out _);
        ReportCapacity();
    }

    /// <summary>Best-effort load report after a session starts or ends.</summary>
    internal void ReportCapacity() =>
        Writer.TrySend(Frames.Json(FrameType.CapacityReport, 0, new CapacityMessage(_runtime.Active, _runtime.Capacity)));

    private async ValueTask HandleAsync(Frame frame, CancellationToken cancellationToken)
    {
        switch (frame.Type)
        {
            case FrameType.Ping:
                await Writer.SendAsync(new Frame(FrameType.Pong, 0, frame.Payload), cancellationToken).ConfigureAwait(false);
                break;
            case FrameType.StartStt:
                await StartAsync(frame, slot =>
                {
                    var stt = _runtime.Engines.Stt ?? throw new EngineException("unsupported_request", $"pool '{_runtime.Engines.Name}' has no STT engine", isPermanent: true);
                    var start = WireJson.Deserialize<StartSttMessage>(frame.Payload, frame.Type);
                    return new HostedSttSession(frame.Channel, stt, start.Options, this, slot, _runtime.Options.AudioWindow, cancellationToken);
                }, cancellationToken).ConfigureAwait(false);
                break;
            case FrameType.StartTts:
                await StartAsync(frame, slot =>
                {
                    var tts = _runtime.Engines.Tts ?? throw new EngineException("unsupported_request", $"pool '{_runtime.Engines.Name}' has no TTS engine", isPermanent: true);
                    var start = WireJson.Deserialize<StartTtsMessage>(frame.Payload, frame.Type);
                    if (start.Window <= 0)
                        throw new ProtocolException("bad_payload", $"StartTts window must be positive, not {start.Window}");
                    return new HostedTtsRequest(frame.Channel, tts, start, this, slot, cancellationToken);
                }, cancellationToken).ConfigureAwait(false);
                break;
            case FrameType.Audio or FrameType.Finalize or FrameType.Complete or FrameType.Credit:
                // Frames for a channel that already ended (cancelled, failed) are expected races: drop them.
                if (_channels.TryGetValue(frame.Channel, out var channel))
                    channel.OnFrame(frame);
                break;
            case FrameType.Cancel:
                if (_channels.TryRemove(frame.Channel, out var cancelled))
                    cancelled.Cancel();
                break;
            default:
                throw new ProtocolException("unexpected_frame", $"a worker does not accept {frame.Type} frames");
        }
    }

    private async ValueTask StartAsync(Frame frame, Func<ChannelSlot, IHostedChannel> create, CancellationToken cancellationToken)
    {
        if (frame.Channel == 0 || _channels.ContainsKey(frame.Channel))
            throw new ProtocolException("bad_channel", $"{frame.Type} on channel {frame.Channel}: channel 0 is reserved and a channel id cannot be reused while in use");
        if (!_runtime.TryAcquire())
        {
            await Writer.SendAsync(Frames.Error(frame.Channel, new EngineException("worker_busy",
                $"worker {Environment.ProcessId} of pool '{_runtime.Engines.Name}' is at capacity ({_runtime.Capacity})", isPermanent: false)), cancellationToken).ConfigureAwait(false);
            return;
        }
        IHostedChannel channel;
        var slot = new ChannelSlot(this, frame.Channel);
        try
        {
            channel = create(slot);
        }
        catch (EngineException ex)
        {
            _runtime.Release();
            await Writer.SendAsync(Frames.Error(frame.Channel, ex), cancellationToken).ConfigureAwait(false);
            return;
        }
        catch
        {
            _runtime.Release();
            throw;
        }
        _channels[frame.Channel] = channel;
        channel.Start();
        ReportCapacity();
        // Channels free their slot before their last frame (see ChannelSlot); this catches any that did not.
        _ = channel.Completion.ContinueWith(_ => slot.Free(), TaskScheduler.Default);
    }
}
