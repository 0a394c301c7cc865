using System.Buffers;
using System.Collections.Concurrent;
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
using Vaani.Gateway.Stt;
using Vaani.Speech.Synthesis;
using Vaani.Speech.Transcripts;

namespace Vaani.Gateway.Tts;

/// <summary>
/// Native multi-context streaming TTS: <c>GET /v1/tts/stream</c> (WebSocket). Each
/// <c>context_id</c> is an independent utterance stream on the socket: its text is synthesised in
/// order, its audio and word timings are tagged with it, and it can be flushed or cancelled
/// without touching the others. Protocol in docs/api.md.
/// </summary>
internal sealed class TtsStreamEndpoint(IEngineRouter router, ISessionGuard guard, GatewayOptions options, DrainSignal drain)
{
    public async Task HandleAsync(HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            await ApiErrors.Error(StatusCodes.Status426UpgradeRequired, "websocket_required", "connect with a WebSocket upgrade").ExecuteAsync(ctx);
            return;
        }
        var q = ctx.Request.Query;
        TtsOutputFormat output;
        string? defaultVoice = SttStreamQuery.Get(q, "voice"), defaultLanguage = SttStreamQuery.Get(q, "language");
        EnginePool<ITextToSpeechEngine>? defaultPool;
        try
        {
            defaultPool = router.FindTts(defaultVoice, defaultLanguage);
            if (defaultPool is null)
            {
                await ApiErrors.BadRequest("unsupported_voice", $"no voice serves voice '{defaultVoice}' / language '{defaultLanguage}'; GET /v1/voices lists them").ExecuteAsync(ctx);
                return;
            }
            int? rate = SttStreamQuery.Get(q, "sample_rate") is null ? null : SttStreamQuery.Int(q, "sample_rate", 0, 8000, 48000);
            output = TtsOutputFormat.Parse(SttStreamQuery.Get(q, "encoding") ?? "linear16", rate, defaultPool.Capabilities.NativeFormat.SampleRate);
            if (output.Container != TtsContainer.Raw)
                throw new QueryException("encoding", "streams carry raw samples: use linear16, mulaw or alaw");
        }
        catch (QueryException ex) { await ApiErrors.BadRequest("invalid_" + ex.Field, ex.Message).ExecuteAsync(ctx); return; }
        catch (AudioFormatException ex) { await ApiErrors.BadRequest("invalid_encoding", ex.Message).ExecuteAsync(ctx); return; }

        var admitted = await guard.AdmitAsync(ctx, SessionKind.TtsStream, defaultPool.Name, defaultPool.Capacity);
        if (!admitted.IsAdmitted)
        {
            await admitted.ToResult().ExecuteAsync(ctx);
            return;
        }
        using var ticket = admitted.Ticket!;
        using var ws = await ctx.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = options.KeepAliveInterval });
        await using var client = new ClientSocket(ws, options.OutboundQueueMessages, options.SlowReaderTimeout);
        client.TrySendJson(new
        {
            type = "session.started",
            format = new { encoding = AudioFormat.EncodingName(output.Format.Encoding), sample_rate = output.Format.SampleRate, channels = 1 },
        });
        using var drainRegistration = drain.Register(() =>
            _ = client.CloseWithErrorAsync(CloseCodes.ServiceRestart, "draining", "this node is shutting down: reconnect to continue", options.FlushTimeout));
        TtsSocket? socket = null;
        // Recorded exactly once: before the normal close frame (so the slot is free when the client
        // sees the close), else when the socket ends.
        await using var usage = new UsageOnExit(() => ticket.RecordUsageAsync(socket?.AudioSeconds ?? 0, socket?.Characters ?? 0, defaultPool.Name));
        socket = new TtsSocket(client, output, options, router, defaultVoice, defaultLanguage, usage);
        await socket.RunAsync();
    }

    private sealed class TtsSocket(ClientSocket client, TtsOutputFormat output, GatewayOptions options, IEngineRouter router, string? defaultVoice, string? defaultLanguage, UsageOnExit usage)
    {
        private readonly ConcurrentDictionary<string, TtsContext> _contexts = new(StringComparer.Ordinal);
        private long _characters;
        private double _audioSeconds;
        private int _running; // contexts not finished yet, including closed ones still speaking

        /// <summary>
        /// Characters accepted for synthesis on this socket: counted as a context hands a segment to
        /// its synthesis queue, so text refused with <c>context_backlog_full</c>, whitespace-only
        /// segments and text never released (a context cancelled with text still buffered) are not.
        /// </summary>
        public long Characters => Interlocked.Read(ref _characters);

        /// <summary>Seconds of audio produced by finished or cancelled contexts.</summary>
        public double AudioSeconds => Volatile.Read(ref _audioSeconds);

        public async Task RunAsync()
        {
            using var buffer = new MessageBuffer();
            try
            {
                while (true)
                {
                    var message = await client.ReceiveAsync(buffer, options.MaxTextMessageBytes, options.MaxTextMessageBytes, client.Aborted);
                    if (message is null) break;
                    if (message.Value.Type != WebSocketMessageType.Text)
                    {
                        await client.CloseWithErrorAsync(CloseCodes.BadInput, "invalid_message", "send JSON text messages (speak, flush, cancel, close)", options.FlushTimeout);
                        return;
                    }
                    if (!Handle(message.Value.Payload.Span, out bool close)) return;
                    if (close) break;
                }
            }
            catch (MessageTooLargeException ex)
            {
                await client.CloseWithErrorAsync(CloseCodes.BadInput, "message_too_large", ex.Message, options.FlushTimeout);
                CancelAll();
                return;
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                CancelAll();
                client.Abort();
                return;
            }
            // Close = flush: contexts finish what they were given, then the socket closes.
            foreach (var c in _contexts.Values) c.Close();
            var all = Task.WhenAll(_contexts.Values.Select(c => c.Completion));
            if (await Task.WhenAny(all, Task.Delay(options.FlushTimeout)) != all)
            {
                CancelAll();
                await client.CloseWithErrorAsync(CloseCodes.Internal, "flush_timeout", "synthesis did not finish in time", options.FlushTimeout);
                return;
            }
            await usage.DisposeAsync();
            await client.CloseAsync(CloseCodes.Normal, "done", "done", options.FlushTimeout);
        }

        private void AddSeconds(double seconds)
        {
            double current, updated;
            do { current = Volatile.Read(ref _audioSeconds); updated = current + seconds; }
            while (Interlocked.CompareExchange(ref _audioSeconds, updated, current) != current);
        }

        private void CancelAll()
        {
            foreach (var c in _contexts.Values) c.Cancel();
        }

        /// <summary>Handles one control message; false when the socket was closed for bad input.</summary>
        private bool Handle(ReadOnlySpan<byte> json, out bool close)
        {
            close = false;
            TtsClientMessage? m;
            try { m = JsonSerializer.Deserialize<TtsClientMessage>(json, GatewayJson.Options); }
            catch (JsonException ex)
            {
                _ = client.CloseWithErrorAsync(CloseCodes.BadInput, "invalid_message", $"invalid JSON: {ex.Message}", options.FlushTimeout);
                return false;
            }
            var type = m?.Type?.ToLowerInvariant();
            if (type == "close") { close = true; return true; }
            if (type is not ("speak" or "flush" or "cancel"))
            {
                _ = client.CloseWithErrorAsync(CloseCodes.BadInput, "invalid_message", $"unknown message type '{m?.Type}': use speak, flush, cancel or close", options.FlushTimeout);
                return false;
            }
            var id = m!.ContextId;
            if (string.IsNullOrEmpty(id) || id.Length > 128)
            {
                client.TrySendJson(new { type = "error", code = "invalid_context_id", message = "context_id is required (1–128 characters)" });
                return true;
            }
            switch (type)
            {
                case "speak":
                    Speak(id, m);
                    break;
                case "flush":
                    if (_contexts.TryGetValue(id, out var f)) f.Flush();
                    else client.TrySendJson(new { type = "error", context_id = id, code = "unknown_context", message = $"context '{id}' has no pending text" });
                    break;
                case "cancel":
                    if (_contexts.TryRemove(id, out var c))
                    {
                        c.Cancel();
                        // Acknowledge only after the context stopped producing: no audio follows the ack.
                        _ = c.Completion.ContinueWith(_ => client.TrySendJson(new { type = "cancelled", context_id = id }), TaskScheduler.Default);
                    }
                    else client.TrySendJson(new { type = "cancelled", context_id = id });
                    break;
            }
            return true;
        }

        private void Speak(string id, TtsClientMessage m)
        {
            var text = m.Text ?? "";
            if (text.Length > options.MaxTtsChars)
            {
                client.TrySendJson(new { type = "error", context_id = id, code = "text_too_long", message = $"text has {text.Length} characters; the limit is {options.MaxTtsChars}" });
                return;
            }
            if (!_contexts.TryGetValue(id, out var context) || context.IsClosed)
            {
                var previous = context; // a closed run still speaking: the new one follows it
                // Counted until they finish, closed or not: a context spoken without "continue" is closed
                // at once but still synthesises (or waits for its predecessor on the same id).
                if (Volatile.Read(ref _running) >= options.MaxTtsContextsPerSocket)
                {
                    client.TrySendJson(new { type = "error", context_id = id, code = "too_many_contexts", message = $"at most {options.MaxTtsContextsPerSocket} contexts may be speaking or waiting to speak on one socket" });
                    return;
                }
                var pool = router.FindTts(m.Voice ?? defaultVoice, m.Language ?? defaultLanguage);
                if (pool is null)
                {
                    client.TrySendJson(new { type = "error", context_id = id, code = "unsupported_voice", message = $"no voice serves voice '{m.Voice ?? defaultVoice}' / language '{m.Language ?? defaultLanguage}'" });
                    return;
                }
                Interlocked.Increment(ref _running);
                context = new TtsContext(id, pool.Engine, client, output, m.Voice ?? defaultVoice, m.Language ?? defaultLanguage, m.Ssml, m.Rate ?? 1.0, m.Pitch ?? 50,
                    previous is { Completion.IsCompleted: false } ? previous : null,
                    finished: done =>
                    {
                        _contexts.TryRemove(new KeyValuePair<string, TtsContext>(id, done));
                        AddSeconds(done.AudioSeconds);
                        Interlocked.Decrement(ref _running);
                    },
                    accepted: length => Interlocked.Add(ref _characters, length));
                _contexts[id] = context;
            }
            context.Add(text, m.Continue ?? false);
        }
    }

    private sealed record TtsClientMessage(string? Type, string? ContextId, string? Text, bool Ssml, string? Voice, string? Language, double? Rate, int? Pitch, bool? Continue);
}
