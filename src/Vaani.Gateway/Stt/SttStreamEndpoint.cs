using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vaani.Audio;
using Vaani.Engines;
using Vaani.Gateway.Admission;
using Vaani.Gateway.Hosting;
using Vaani.Gateway.Http;
using Vaani.Gateway.Realtime;
using Vaani.Gateway.Routing;
using Vaani.Speech.Streaming;

namespace Vaani.Gateway.Stt;

/// <summary>
/// Native streaming STT: <c>GET /v1/stt/stream</c> (WebSocket). A thin adapter over
/// <see cref="SttStreamSession"/>: it validates, admits, paces, maps events to JSON and flushes on close.
/// </summary>
internal sealed class SttStreamEndpoint(IEngineRouter router, ISessionGuard guard, GatewayOptions options, DrainSignal drain, TimeProvider time, Ticker ticker)
{
    public async Task HandleAsync(HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            await ApiErrors.Error(StatusCodes.Status426UpgradeRequired, "websocket_required", "connect with a WebSocket upgrade").ExecuteAsync(ctx);
            return;
        }
        SttStreamQuery query;
        try { query = SttStreamQuery.Parse(ctx.Request.Query); }
        catch (QueryException ex) { await ApiErrors.BadRequest("invalid_" + ex.Field, ex.Message).ExecuteAsync(ctx); return; }
        catch (AudioFormatException ex) { await ApiErrors.BadRequest("invalid_audio_format", ex.Message).ExecuteAsync(ctx); return; }

        var pool = router.FindStt(query.Language);
        if (pool is null)
        {
            await ApiErrors.BadRequest("unsupported_language", $"no speech-to-text model serves language '{query.Language}'; GET /v1/models lists them").ExecuteAsync(ctx);
            return;
        }
        var admitted = await guard.AdmitAsync(ctx, SessionKind.SttStream, pool.Name, pool.Capacity);
        if (!admitted.IsAdmitted)
        {
            await admitted.ToResult().ExecuteAsync(ctx);
            return;
        }
        using var ticket = admitted.Ticket!;
        using var ws = await ctx.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = options.KeepAliveInterval });
        await using var client = new ClientSocket(ws, options.OutboundQueueMessages, options.SlowReaderTimeout);
        var sessionId = "stt_" + Guid.NewGuid().ToString("N")[..16];
        var engineOptions = new SttSessionOptions { Language = query.Language, InterimResults = query.InterimResults, Endpointing = query.Endpointing };
        await using var session = new SttStreamSession(
            ct => pool.Engine.StartSessionAsync(engineOptions, ct),
            query.Format, pool.Capabilities.NativeFormat, new SttStreamLimits(), time, pool.Capabilities.FoldNarrowbandInput);
        try
        {
            await session.StartAsync(ctx.RequestAborted);
        }
        catch (EngineException ex)
        {
            await client.CloseWithErrorAsync(ex.IsPermanent ? CloseCodes.Internal : CloseCodes.TryAgainLater, ex.Code, ex.Message, options.FlushTimeout);
            return;
        }
        client.TrySendJson(new
        {
            type = "session.started",
            session_id = sessionId,
            language = query.Language,
            model = pool.Name,
            format = new { encoding = AudioFormat.EncodingName(query.Format.Encoding), sample_rate = query.Format.SampleRate, channels = query.Format.Channels },
        });

        var forwarder = ForwardEventsAsync(session, client, query.Words);
        using var drainRegistration = drain.Register(() =>
            _ = client.CloseWithErrorAsync(CloseCodes.ServiceRestart, "draining", "this node is shutting down: reconnect to continue", options.FlushTimeout));
        await using var usage = new UsageOnExit(() => ticket.RecordUsageAsync(session.AudioSeconds, 0, pool.Name));
        var outcome = await ReceiveLoopAsync(client, session, query.Format);
        switch (outcome.Kind)
        {
            case EndKind.ClientClosed:
                await FlushAndCloseAsync(client, session, forwarder, sessionId, usage);
                break;
            case EndKind.Error:
                await client.CloseWithErrorAsync(outcome.Status, outcome.Code!, outcome.Message!, options.FlushTimeout);
                break;
            case EndKind.Gone:
                client.Abort();
                break;
        }
    }

    private async Task FlushAndCloseAsync(ClientSocket client, SttStreamSession session, Task<Exception?> forwarder, string sessionId, UsageOnExit usage)
    {
        // Close = flush: every byte received is reflected in a final before the socket closes.
        using var flush = new CancellationTokenSource(options.FlushTimeout);
        try
        {
            await session.CompleteAsync(flush.Token);
            var done = await Task.WhenAny(forwarder, Task.Delay(options.FlushTimeout, time));
            if (done != forwarder)
            {
                await client.CloseWithErrorAsync(CloseCodes.Internal, "flush_timeout", $"final results were not ready within {options.FlushTimeout.TotalSeconds:0} s", options.FlushTimeout);
                return;
            }
            var failure = await forwarder;
            if (failure is not null)
            {
                await CloseForFailureAsync(client, failure);
                return;
            }
            // Usage recorded and slots freed before session.closed goes out: a client that opens its
            // next session on seeing this one close is never refused for this one.
            await usage.DisposeAsync();
            client.TrySendJson(NativeSttMessages.Closed(sessionId, session.GetStats()));
            await client.CloseAsync(CloseCodes.Normal, "done", "done", options.FlushTimeout);
        }
        catch (OperationCanceledException)
        {
            await client.CloseWithErrorAsync(CloseCodes.Internal, "flush_timeout", "final results were not ready in time", options.FlushTimeout);
        }
    }

    private Task CloseForFailureAsync(ClientSocket client, Exception failure) => failure switch
    {
        EngineException { IsPermanent: false } e => client.CloseWithErrorAsync(CloseCodes.TryAgainLater, e.Code, e.Message, options.FlushTimeout),
        EngineException e => client.CloseWithErrorAsync(CloseCodes.Internal, e.Code, e.Message, options.FlushTimeout),
        AudioFormatException e => client.CloseWithErrorAsync(CloseCodes.BadInput, "invalid_audio", e.Message, options.FlushTimeout),
        _ => client.CloseWithErrorAsync(CloseCodes.Internal, "internal_error", "the session failed; see the server log", options.FlushTimeout),
    };

    /// <summary>Reads events and queues them for the client; returns the session failure, if any.</summary>
    private async Task<Exception?> ForwardEventsAsync(SttStreamSession session, ClientSocket client, bool words)
    {
        try
        {
            // Waits without a token (a cancellable wait allocates a waiter and a registration per
            // event): the events end when the session is completed or disposed, which the handler
            // always does, and a send fails at once once the client is gone.
            var events = session.Events;
            while (await events.WaitToReadAsync())
            {
                while (events.TryRead(out var e))
                {
                    var message = NativeSttMessages.Utf8(e, words);
                    if (message is not null && !await client.SendUtf8JsonAsync(message, client.Aborted)) return null; // slow reader: closed by ClientSocket
                }
            }
            return null;
        }
        catch (OperationCanceledException) { return null; }
        catch (Exception ex)
        {
            // A session failure mid-stream (not at close): report it now.
            _ = CloseForFailureAsync(client, ex);
            return ex;
        }
    }

    private async Task<ReceiveOutcome> ReceiveLoopAsync(ClientSocket client, SttStreamSession session, AudioFormat format)
    {
        using var buffer = new MessageBuffer(); // holds an array only while a message is being handled
        var ct = client.Aborted;
        var intake = new StreamIntake(session, format, options.RealtimeBurst, time, ct);
        using var idle = ticker.Register(now =>
        {
            if (time.GetElapsedTime(intake.LastActivity, now) > options.IdleTimeout)
                _ = client.CloseWithErrorAsync(CloseCodes.BadInput, "idle_timeout", $"no audio or keepalive for {options.IdleTimeout.TotalSeconds:0} s", options.FlushTimeout);
        });

        // One audio message: here, or on the event loop as it arrives (HandleBinaryInline), where it
        // costs no resumption of this method. False: the session is full or the client is ahead
        // of real time, and this method awaits that before reading on (AudioIntake).
        client.HandleBinaryInline(intake.TakeAudio);
        try
        {
            while (true)
            {
                var message = await client.ReceiveAsync(buffer, options.MaxAudioMessageBytes, options.MaxTextMessageBytes, ct);
                if (message is null) return ReceiveOutcome.ClientClosed;
                var (type, payload) = message.Value;
                if (type == WebSocketMessageType.Binary)
                {
                    // Behind: the audio was taken (on the loop, which then completed this receive with
                    // an empty message, or just here) and what it left is awaited first.
                    if (!intake.Behind && intake.TakeAudio(payload)) continue;
                    await intake.CatchUpAsync(ct);
                    continue;
                }
                intake.Touch(time.GetTimestamp());
                switch (ParseControl(payload.Span))
                {
                    case "keepalive": break;
                    case "finalize": await session.FinalizeAsync(ct); break;
                    case "close": return ReceiveOutcome.ClientClosed;
                    case var other:
                        return ReceiveOutcome.Error(CloseCodes.BadInput, "invalid_message",
                            other is null ? "text messages must be JSON objects with a \"type\" of keepalive, finalize or close"
                                          : $"unknown message type '{other}': use keepalive, finalize or close");
                }
            }
        }
        catch (MessageTooLargeException ex)
        {
            return ReceiveOutcome.Error(CloseCodes.BadInput, "message_too_large", ex.Message);
        }
        catch (AudioFormatException ex)
        {
            return ReceiveOutcome.Error(CloseCodes.BadInput, "invalid_audio", ex.Message);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            return client.Aborted.IsCancellationRequested || ex is WebSocketException ? ReceiveOutcome.Gone : ReceiveOutcome.ClientClosed;
        }
        finally
        {
            client.HandleBinaryInline(null);
        }
    }

    /// <summary>
    /// One stream's intake with everything its frame handler touches, in one object: taking a frame
    /// on the event loop reads this and the session, where a closure would add itself and the
    /// endpoint (each another cache line, often another page, to load per frame).
    /// </summary>
    private sealed class StreamIntake : AudioIntake
    {
        private readonly SttStreamSession _session;
        private readonly CancellationToken _ct;
        private long _lastActivity;

        public StreamIntake(SttStreamSession session, AudioFormat format, TimeSpan burst, TimeProvider time, CancellationToken ct)
            : base(burst, time, format)
        {
            (_session, _ct) = (session, ct);
            _lastActivity = time.GetTimestamp();
        }

        /// <summary>When the client last sent audio or a control message (a timestamp of the intake's clock).</summary>
        public long LastActivity => Volatile.Read(ref _lastActivity);

        public void Touch(long now) => Volatile.Write(ref _lastActivity, now);

        /// <summary>Takes one audio message (see <see cref="AudioIntake.Take"/>).</summary>
        public bool TakeAudio(ReadOnlyMemory<byte> payload)
        {
            long now = Time.GetTimestamp();
            Touch(now);
            if (payload.IsEmpty) return true;
            return Take(_session.SendAudioAsync(payload, now, _ct), payload.Length, now);
        }
    }

    /// <summary>Returns the lower-cased "type" of a JSON control message, or null when it is not one.</summary>
    internal static string? ParseControl(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind == JsonValueKind.Object &&
                doc.RootElement.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String)
                return t.GetString()!.ToLowerInvariant();
            return null;
        }
        catch (JsonException) { return null; }
    }

    private enum EndKind { ClientClosed, Error, Gone }

    private readonly record struct ReceiveOutcome(EndKind Kind, WebSocketCloseStatus Status, string? Code, string? Message)
    {
        public static readonly ReceiveOutcome ClientClosed = new(EndKind.ClientClosed, CloseCodes.Normal, null, null);
        public static readonly ReceiveOutcome Gone = new(EndKind.Gone, CloseCodes.Normal, null, null);
        public static ReceiveOutcome Error(WebSocketCloseStatus status, string code, string message) => new(EndKind.Error, status, code, message);
    }
}
