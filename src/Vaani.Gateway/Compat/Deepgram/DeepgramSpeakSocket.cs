using Vaani.Gateway.Admission;
using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Vaani.Audio;
using Vaani.Engines;
using Vaani.Gateway.Hosting;
using Vaani.Gateway.Realtime;
using Vaani.Gateway.Routing;

namespace Vaani.Gateway.Compat.Deepgram;

/// <summary>
/// Deepgram-compatible streaming synthesis: <c>GET /v1/speak</c> (WebSocket). <c>Speak</c> appends
/// text; <c>Flush</c> synthesises the text so far (binary audio frames, then <c>Flushed</c>);
/// <c>Clear</c> drops queued text and stops audio in progress (<c>Cleared</c>); <c>Close</c>
/// finishes flushed work and closes. <c>Metadata</c> is the first message.
/// </summary>
internal sealed class DeepgramSpeakSocket(IEngineRouter router, ISessionGuard guard, GatewayOptions options, CompatOptions compat, ICompatModelMap models, DrainSignal drain)
{
    private GatewayOptions Options => options;
    private CompatOptions Compat => compat;

    public async Task HandleAsync(HttpContext ctx)
    {
        var requestId = DeepgramIds.NewRequestId();
        DeepgramSpeakOptions speak;
        try
        {
            CompatAuth.Parse(ctx);
            speak = DeepgramSpeakOptions.Parse(ctx.Request.Query, models, streaming: true);
        }
        catch (FormatException ex) { await DeepgramErrors.Error(401, "INVALID_AUTH", ex.Message, requestId).ExecuteAsync(ctx); return; }
        catch (Exception ex) when (ex is ArgumentException or AudioFormatException) { await DeepgramErrors.BadRequest(ex.Message, requestId).ExecuteAsync(ctx); return; }
        var pool = router.FindTts(speak.Voice.Voice, null);
        if (pool is null)
        {
            await DeepgramErrors.BadRequest($"No such model: '{speak.Model}' maps to voice '{speak.Voice.Voice}', which no pool serves", requestId).ExecuteAsync(ctx);
            return;
        }
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            await DeepgramSpeakHttpRedirect(ctx, requestId);
            return;
        }
        var admitted = await guard.AdmitAsync(ctx, SessionKind.TtsStream, pool.Name, pool.Capacity);
        if (!admitted.IsAdmitted)
        {
            await CompatGuard.DeepgramRefusal(ctx, admitted, requestId).ExecuteAsync(ctx);
            return;
        }
        using var ticket = admitted.Ticket!;
        ctx.Response.Headers["dg-request-id"] = requestId;
        using var ws = await ctx.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = options.KeepAliveInterval, SubProtocol = CompatAuth.SubProtocol(ctx) });
        await using var client = new ClientSocket(ws, options.OutboundQueueMessages, options.SlowReaderTimeout);
        client.TrySendJson(new { type = "Metadata", request_id = requestId, model_name = speak.Model, model_version = "1.0", model_uuid = DeepgramIds.ModelUuid(pool.Name) });
        using var drainRegistration = drain.Register(() => _ = client.CloseAsync(CloseCodes.ServiceRestart, "draining", "this node is shutting down: reconnect to continue", options.FlushTimeout));
        var run = new Run(this, client, pool, speak);
        try { await run.RunAsync(); }
        finally { await ticket.RecordUsageAsync(0, run.Characters, pool.Name); }
    }

    private static Task DeepgramSpeakHttpRedirect(HttpContext ctx, string requestId) =>
        DeepgramErrors.Error(StatusCodes.Status426UpgradeRequired, "Bad Request", "streaming synthesis needs a WebSocket upgrade; POST {\"text\"} to /v1/speak for REST", requestId).ExecuteAsync(ctx);

    private sealed class Run(DeepgramSpeakSocket owner, ClientSocket client, EnginePool<ITextToSpeechEngine> pool, DeepgramSpeakOptions speak)
    {
        private readonly Channel<(string Text, int Sequence, int Generation)> _work = Channel.CreateBounded<(string, int, int)>(16);
        private readonly StringBuilder _text = new();
        private volatile CancellationTokenSource _current = new();
        private int _generation;
        private int _sequence;

        /// <summary>Characters accepted for synthesis (usage).</summary>
        public long Characters { get; private set; }

        public async Task RunAsync()
        {
            var worker = Task.Run(WorkAsync);
            using var buffer = new MessageBuffer();
            var o = owner.Options;
            bool close = false;
            try
            {
                while (!close)
                {
                    var message = await client.ReceiveAsync(buffer, o.MaxTextMessageBytes, o.MaxTextMessageBytes, client.Aborted);
                    if (message is null) break;
                    if (message.Value.Type != WebSocketMessageType.Text)
                    {
                        Warn("INVALID_MESSAGE", "binary messages are not accepted: send JSON Speak, Flush, Clear or Close");
                        continue;
                    }
                    close = Handle(message.Value.Payload.Span);
                }
            }
            catch (MessageTooLargeException ex)
            {
                client.TrySendJson(new { type = "Error", err_code = "MESSAGE_TOO_LARGE", err_msg = ex.Message, description = ex.Message });
                await client.CloseAsync(CloseCodes.BadInput, "MESSAGE_TOO_LARGE", ex.Message, o.FlushTimeout);
                _current.Cancel();
                return;
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                _current.Cancel();
                _work.Writer.TryComplete();
                client.Abort();
                return;
            }
            // Close: audio already flushed is finished, then the socket closes.
            _work.Writer.TryComplete();
            if (await Task.WhenAny(worker, Task.Delay(o.FlushTimeout)) != worker) _current.Cancel();
            await client.CloseAsync(CloseCodes.Normal, "done", "done", o.FlushTimeout);
        }

        /// <summary>Handles one control message; true when the client asked to close.</summary>
        private bool Handle(ReadOnlySpan<byte> json)
        {
            string? type = null, text = null;
            try
            {
                var reader = new Utf8JsonReader(json);
                using var doc = JsonDocument.ParseValue(ref reader);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    if (doc.RootElement.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String) type = t.GetString();
                    if (doc.RootElement.TryGetProperty("text", out var x) && x.ValueKind == JsonValueKind.String) text = x.GetString();
                }
            }
            catch (JsonException ex)
            {
                Warn("INVALID_JSON", $"the message is not JSON: {ex.Message}");
                return false;
            }
            switch (type)
            {
                case "Speak":
                    if (text is null) { Warn("INVALID_MESSAGE", "Speak needs a \"text\" string"); break; }
                    if (_text.Length + text.Length > owner.Options.MaxTtsChars)
                    {
                        Warn("TEXT_LENGTH_EXCEEDED", $"more than {owner.Options.MaxTtsChars} characters are waiting for a Flush; the text was dropped");
                        break;
                    }
                    _text.Append(text);
                    Characters += text.Length;
                    break;
                case "Flush":
                    var pending = _text.ToString();
                    _text.Clear();
                    int seq = _sequence++;
                    if (!_work.Writer.TryWrite((pending, seq, Volatile.Read(ref _generation))))
                        Warn("QUEUE_FULL", "too many flushes are waiting for audio; this one was dropped");
                    break;
                case "Clear":
                    _text.Clear();
                    Interlocked.Increment(ref _generation);
                    var old = _current;
                    _current = new CancellationTokenSource();
                    old.Cancel();
                    client.TrySendJson(new { type = "Cleared", sequence_id = _sequence++ });
                    break;
                case "Close":
                    return true;
                default:
                    Warn("UNKNOWN_MESSAGE_TYPE", $"unknown message type '{type}': use Speak, Flush, Clear or Close");
                    break;
            }
            return false;
        }

        private void Warn(string code, string description) => client.TrySendJson(new { type = "Warning", code, description });

        private async Task WorkAsync()
        {
            await foreach (var (text, sequence, generation) in _work.Reader.ReadAllAsync())
            {
                if (generation != Volatile.Read(ref _generation)) continue; // cleared
                var ct = _current.Token;
                try
                {
                    if (!string.IsNullOrWhiteSpace(text))
                    {
                        var request = new TtsRequest { Text = text, Voice = speak.Voice.Voice, Pitch = speak.Voice.Pitch, Rate = speak.Speed };
                        await using var encoder = SpeechEncoder.Create(speak.Output, pool.Capabilities.NativeFormat, owner.Compat, async (bytes, token) =>
                        {
                            // Each frame is a fresh copy: the encoder reuses its buffer.
                            if (!await client.SendBinaryAsync(bytes.ToArray(), token))
                                throw new OperationCanceledException("the client is gone or not reading");
                        });
                        await using var events = pool.Engine.SynthesizeAsync(request, ct).GetAsyncEnumerator(ct);
                        await CompatSynthesis.PumpAsync(events, await events.MoveNextAsync(), encoder, pool.Capabilities.NativeFormat.SampleRate, ct);
                    }
                    if (generation == Volatile.Read(ref _generation))
                        client.TrySendJson(new { type = "Flushed", sequence_id = sequence });
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
                catch (EngineException ex)
                {
                    client.TrySendJson(new { type = "Error", err_code = ex.Code, err_msg = ex.Message, description = ex.Message });
                }
            }
        }
    }
}
