using System.Buffers;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Vaani.Audio;
using Vaani.Audio.Wav;
using Vaani.Engines;
using Vaani.Gateway.Admission;
using Vaani.Gateway.Hosting;
using Vaani.Gateway.Realtime;
using Vaani.Gateway.Routing;
using Vaani.Gateway.Stt;
using Vaani.Speech.Streaming;

namespace Vaani.Gateway.Compat.Deepgram;

/// <summary>
/// Deepgram-compatible live transcription: <c>GET /v1/listen</c> (WebSocket). A thin adapter over
/// <see cref="SttStreamSession"/> — one session per channel with <c>multichannel=true</c>, else one
/// session with the channels mixed — that speaks Deepgram's messages and close codes.
/// </summary>
internal sealed class DeepgramListenSocket(IEngineRouter router, ISessionGuard guard, GatewayOptions options, CompatOptions compat, ICompatModelMap models, DrainSignal drain, TimeProvider time, Ticker ticker)
{
    private GatewayOptions Options => options;
    private CompatOptions Compat => compat;
    private TimeProvider Time => time;
    private Ticker Ticker => ticker;

    public async Task HandleAsync(HttpContext ctx)
    {
        var requestId = DeepgramIds.NewRequestId();
        DeepgramListenOptions query;
        try
        {
            CompatAuth.Parse(ctx);
            query = DeepgramListenOptions.Parse(ctx.Request.Query);
        }
        catch (FormatException ex) { await DeepgramErrors.Error(401, "INVALID_AUTH", ex.Message, requestId).ExecuteAsync(ctx); return; }
        catch (Exception ex) when (ex is ArgumentException or AudioFormatException) { await DeepgramErrors.BadRequest(ex.Message, requestId).ExecuteAsync(ctx); return; }
        if (!models.IsSttModel(CompatApi.Deepgram, query.Model))
        {
            await DeepgramErrors.BadRequest($"No such model/language/tier combination found: model '{query.Model}' is not served here", requestId).ExecuteAsync(ctx);
            return;
        }
        var pool = router.FindStt(query.Language);
        if (pool is null)
        {
            await DeepgramErrors.BadRequest($"No such model/language/tier combination found: no model serves language '{query.Language}'", requestId).ExecuteAsync(ctx);
            return;
        }
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            await DeepgramErrors.Error(StatusCodes.Status426UpgradeRequired, "Bad Request", "live transcription needs a WebSocket upgrade; POST audio to /v1/listen for pre-recorded audio", requestId).ExecuteAsync(ctx);
            return;
        }
        int sessions = query.Multichannel ? query.Channels : 1;
        var leases = new List<ISessionTicket>();
        try
        {
            for (int i = 0; i < sessions; i++)
            {
                var admitted = await guard.AdmitAsync(ctx, SessionKind.SttStream, pool.Name, pool.Capacity);
                if (!admitted.IsAdmitted)
                {
                    await CompatGuard.DeepgramRefusal(ctx, admitted, requestId).ExecuteAsync(ctx);
                    return;
                }
                leases.Add(admitted.Ticket!);
            }
            ctx.Response.Headers["dg-request-id"] = requestId;
            using var ws = await ctx.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = options.KeepAliveInterval, SubProtocol = CompatAuth.SubProtocol(ctx) });
            await using var client = new ClientSocket(ws, options.OutboundQueueMessages, options.SlowReaderTimeout);
            LiveRun? run = null;
            // One usage record per channel session, exactly once: before the final Metadata on a clean
            // close (so the slots are free when the client sees the close), else when the socket ends.
            await using var usage = new UsageOnExit(async () =>
            {
                foreach (var t in leases) await t.RecordUsageAsync(run?.AudioSeconds ?? 0, 0, pool.Name);
            });
            run = new LiveRun(this, client, pool, query, requestId, usage, ctx.RequestAborted);
            using var drainRegistration = drain.Register(() => _ = client.CloseAsync(CloseCodes.ServiceRestart, "draining", "this node is shutting down: reconnect to continue", options.FlushTimeout));
            await run.RunAsync();
        }
        finally
        {
            foreach (var l in leases) l.Dispose();
        }
    }

    /// <summary>One connection's state: its sessions (created on the first audio) and their forwarders.</summary>
    private sealed class LiveRun(DeepgramListenSocket owner, ClientSocket client, EnginePool<ISpeechToTextEngine> pool, DeepgramListenOptions query, string requestId, UsageOnExit usage, CancellationToken aborted)
    {
        private readonly List<SttStreamSession> _sessions = [];
        private readonly List<Task<Exception?>> _forwarders = [];
        private readonly DateTimeOffset _created = owner.Time.GetUtcNow();
        private DeepgramLiveMessages? _messages;
        private AudioFormat? _format;
        private int[] _finalizePending = [];
        private long _bytes;

        private int Channels => _format?.Channels ?? query.Channels;
        private int TotalChannels => query.Multichannel ? Channels : 1;

        public async Task RunAsync()
        {
            try
            {
                var outcome = await ReceiveAsync();
                switch (outcome)
                {
                    case null:
                        await FlushAndCloseAsync();
                        break;
                    case { } error when error.Status != 0:
                        await client.CloseAsync(error.Status, error.Code, error.Message, owner.Options.FlushTimeout);
                        break;
                    default:
                        client.Abort();
                        break;
                }
            }
            finally
            {
                foreach (var s in _sessions) await s.DisposeAsync();
            }
        }

        private async Task<bool> StartSessionsAsync(AudioFormat format)
        {
            _format = format;
            int count = query.Multichannel ? format.Channels : 1;
            var sessionFormat = query.Multichannel ? new AudioFormat(format.Encoding, format.SampleRate, 1) : format;
            _messages = new DeepgramLiveMessages(requestId, pool.Name, pool.Capabilities.Name, query, count);
            _finalizePending = new int[count];
            var engineOptions = new SttSessionOptions { Language = query.Language, InterimResults = query.InterimResults, Endpointing = query.Endpointing };
            try
            {
                for (int ch = 0; ch < count; ch++)
                {
                    var session = new SttStreamSession(ct => pool.Engine.StartSessionAsync(engineOptions, ct), sessionFormat, pool.Capabilities.NativeFormat, new SttStreamLimits(), owner.Time, pool.Capabilities.FoldNarrowbandInput);
                    _sessions.Add(session);
                    await session.StartAsync(aborted);
                    _forwarders.Add(ForwardAsync(session, ch));
                }
                return true;
            }
            catch (EngineException ex)
            {
                await client.CloseAsync(ex.IsPermanent ? CloseCodes.Internal : CloseCodes.TryAgainLater, "NET-0000", ex.Message, owner.Options.FlushTimeout);
                return false;
            }
        }

        private async Task<Exception?> ForwardAsync(SttStreamSession session, int channel)
        {
            try
            {
                // WaitToReadAsync and TryRead rather than ReadAllAsync: no iterator resumed per event.
                // No token (a cancellable wait allocates per event): the events end when the session
                // is completed or disposed, which the handler always does.
                var events = session.Events;
                while (await events.WaitToReadAsync())
                {
                    while (events.TryRead(out var e))
                    {
                        bool fromFinalize = false;
                        if (e is SttFinal { FromFinalize: true } && Volatile.Read(ref _finalizePending[channel]) > 0)
                        {
                            Interlocked.Decrement(ref _finalizePending[channel]);
                            fromFinalize = true;
                        }
                        var message = _messages!.From(e, channel, fromFinalize);
                        if (message is not null && !await client.SendJsonAsync(message, client.Aborted)) return null;
                    }
                }
                return null;
            }
            catch (OperationCanceledException) { return null; }
            catch (Exception ex)
            {
                _ = client.CloseAsync(CloseCodes.Internal, "NET-0000", ex is EngineException ee ? ee.Message : "the transcription failed inside the server", owner.Options.FlushTimeout);
                return ex;
            }
        }

        /// <summary>Seconds of audio received (per channel).</summary>
        public double AudioSeconds => _format is null ? 0 : _format.DurationOf(_bytes - _bytes % _format.BytesPerFrame).TotalSeconds;

        private async Task FlushAndCloseAsync()
        {
            var flushTimeout = owner.Options.FlushTimeout;
            using var flush = new CancellationTokenSource(flushTimeout);
            try
            {
                foreach (var s in _sessions) await s.CompleteAsync(flush.Token);
                var all = Task.WhenAll(_forwarders);
                if (await Task.WhenAny(all, Task.Delay(flushTimeout, owner.Time)) != all)
                {
                    await client.CloseAsync(CloseCodes.Internal, "NET-0000", "final results were not ready in time", flushTimeout);
                    return;
                }
                if ((await all).Any(f => f is not null)) return; // closed by the forwarder
                double seconds = _format is null ? 0 : _format.DurationOf(_bytes - _bytes % _format.BytesPerFrame).TotalSeconds;
                await usage.DisposeAsync(); // slots free before the client sees Metadata and the close
                client.TrySendJson(_messages?.Metadata(_created, seconds) ?? new DeepgramLiveMessages(requestId, pool.Name, pool.Capabilities.Name, query, 1).Metadata(_created, 0));
                await client.CloseAsync(CloseCodes.Normal, "done", "done", flushTimeout);
            }
            catch (OperationCanceledException)
            {
                await client.CloseAsync(CloseCodes.Internal, "NET-0000", "final results were not ready in time", flushTimeout);
            }
        }

        /// <summary>Null when the client asked to close; an error to close with; or default when the connection is gone.</summary>
        private async Task<CloseReason?> ReceiveAsync()
        {
            var o = owner.Options;
            using var buffer = new MessageBuffer();
            var intake = new AudioIntake(o.RealtimeBurst, owner.Time);
            long lastActivity = owner.Time.GetTimestamp();
            using var idle = owner.Ticker.Register(now =>
            {
                // Deepgram closes with 1011 NET-0001 when neither audio nor a KeepAlive arrives in time.
                if (owner.Time.GetElapsedTime(Volatile.Read(ref lastActivity), now) > owner.Compat.NoAudioTimeout)
                    _ = client.CloseAsync(CloseCodes.Internal, "NET-0001", $"did not receive audio data or a text message within {owner.Compat.NoAudioTimeout.TotalSeconds:0} s", o.FlushTimeout);
            });
            var ct = client.Aborted;
            var deinterleaved = new ArrayBufferWriter<byte>[query.Multichannel ? query.Channels : 0];

            // Single-channel audio once the stream's format is known: here, or on the event loop as
            // it arrives (ClientSocket.HandleBinaryInline), as the native endpoint does. False: the
            // session is full or the client is ahead of real time, and the loop below catches up.
            bool TakeAudio(ReadOnlyMemory<byte> payload)
            {
                if (payload.IsEmpty) return true; // Deepgram treats an empty frame as close; clients are told not to send one
                long now = owner.Time.GetTimestamp();
                Volatile.Write(ref lastActivity, now);
                var send = _sessions[0].SendAudioAsync(payload, ct);
                _bytes += payload.Length;
                return intake.Take(send, payload.Length, _format!, now);
            }

            try
            {
                while (true)
                {
                    var message = await client.ReceiveAsync(buffer, o.MaxAudioMessageBytes, o.MaxTextMessageBytes, ct);
                    if (message is null) return null;
                    var type = message.Value.Type;
                    var payload = message.Value.Payload;
                    if (type == WebSocketMessageType.Binary)
                    {
                        if (!intake.Behind)
                        {
                            if (payload.IsEmpty) continue; // Deepgram treats an empty frame as close; clients are told not to send one
                            if (_format is null || query.Multichannel)
                            {
                                Volatile.Write(ref lastActivity, owner.Time.GetTimestamp());
                                if (_format is null)
                                {
                                    var (format, audio, error) = DetectFormat(payload);
                                    if (error is not null) return new CloseReason(CloseCodes.BadInput, "DATA-0000", error);
                                    if (!await StartSessionsAsync(format!)) return default(CloseReason);
                                    if (!query.Multichannel) client.HandleBinaryInline(TakeAudio);
                                    payload = audio;
                                    if (payload.IsEmpty) continue;
                                }
                                await SendAsync(payload, deinterleaved, ct);
                                _bytes += payload.Length;
                                if (intake.Take(ValueTask.CompletedTask, payload.Length, _format!, owner.Time.GetTimestamp())) continue;
                            }
                            else if (TakeAudio(payload)) continue;
                        }
                        // Behind: the audio was taken (on the loop, or just above) and what it left is awaited first.
                        await intake.CatchUpAsync(ct);
                        continue;
                    }
                    Volatile.Write(ref lastActivity, owner.Time.GetTimestamp());
                    switch (SttStreamEndpoint.ParseControl(payload.Span))
                    {
                        case "keepalive": break;
                        case "finalize":
                            for (int ch = 0; ch < _sessions.Count; ch++)
                            {
                                Interlocked.Increment(ref _finalizePending[ch]);
                                await _sessions[ch].FinalizeAsync(ct);
                            }
                            break;
                        case "closestream": return null;
                        default:
                            // Deepgram ignores text it does not understand rather than failing the stream.
                            break;
                    }
                }
            }
            catch (MessageTooLargeException ex) { return new CloseReason(CloseCodes.BadInput, "DATA-0000", ex.Message); }
            catch (AudioFormatException ex) { return new CloseReason(CloseCodes.BadInput, "DATA-0000", ex.Message); }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or System.Threading.Channels.ChannelClosedException)
            {
                return client.Aborted.IsCancellationRequested || ex is WebSocketException ? default(CloseReason) : null;
            }
            finally
            {
                client.HandleBinaryInline(null);
            }
        }

        private async Task SendAsync(ReadOnlyMemory<byte> payload, ArrayBufferWriter<byte>[] perChannel, CancellationToken ct)
        {
            if (!query.Multichannel)
            {
                await _sessions[0].SendAudioAsync(payload, ct);
                return;
            }
            // Split interleaved frames into one stream per channel. Frames arrive whole from
            // well-behaved clients; a partial trailing frame is dropped with the payload's remainder.
            var format = _format!;
            int sampleBytes = format.BytesPerFrame / format.Channels;
            int frames = payload.Length / format.BytesPerFrame;
            for (int ch = 0; ch < format.Channels; ch++)
            {
                var w = perChannel[ch] ??= new ArrayBufferWriter<byte>(4096);
                w.Clear();
                var dst = w.GetSpan(frames * sampleBytes);
                var src = payload.Span;
                for (int f = 0; f < frames; f++)
                    src.Slice(f * format.BytesPerFrame + ch * sampleBytes, sampleBytes).CopyTo(dst[(f * sampleBytes)..]);
                w.Advance(frames * sampleBytes);
                await _sessions[ch].SendAudioAsync(w.WrittenMemory, ct);
            }
        }

        /// <summary>The stream's format: from the query, or from a WAV header at its start.</summary>
        private (AudioFormat? Format, ReadOnlyMemory<byte> Audio, string? Error) DetectFormat(ReadOnlyMemory<byte> first)
        {
            if (query.RawFormat is { } raw) return (raw, first, null);
            var span = first.Span;
            if (span.Length >= 12 && span[..4].SequenceEqual("RIFF"u8) && span.Slice(8, 4).SequenceEqual("WAVE"u8))
            {
                try
                {
                    var wav = WavReader.Read(span, new WavReadLimits { MaxDataBytes = owner.Options.MaxAudioMessageBytes });
                    if (wav.Info.IsConverted)
                        return (null, default, "WAV streams must carry 16-bit PCM, float32, mu-law or A-law samples");
                    return (query.Multichannel ? wav.Format : wav.Format, wav.Data, null);
                }
                catch (AudioFormatException ex) { return (null, default, ex.Message); }
            }
            return (null, default, "the audio could not be decoded: give encoding and sample_rate for raw audio, or start the stream with a WAV header");
        }
    }

    private readonly record struct CloseReason(WebSocketCloseStatus Status, string Code, string Message);
}
