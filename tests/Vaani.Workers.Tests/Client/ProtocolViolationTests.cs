using System.Net.Sockets;
using Vaani.Engines;
using Vaani.Engines.Passthrough;
using Vaani.Workers.Client;
using Vaani.Workers.Protocol;
using Vaani.Workers.Tests.Infrastructure;

namespace Vaani.Workers.Tests.Client;

/// <summary>
/// A worker that breaks the protocol on one session: the gateway must fail that session with
/// <c>worker_lost</c> (so it is re-placed on another worker) and say which session saw what. No real worker misbehaves on
/// purpose, so the peer here is a script speaking the real framing over a real Unix socket.
/// </summary>
public sealed class ProtocolViolationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vaani-violation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task SttSession_WorkerCreditsAudioNeverSent_SessionFaultsWithWorkerLostNamingTheSession()
    {
        await using var peer = ScriptedWorker.Start(_dir, async (stream, start) =>
        {
            await FrameCodec.WriteAsync(stream, Frame.Empty(FrameType.SttStarted, start.Channel), CancellationToken.None);
            await FrameCodec.WriteAsync(stream, Frames.Credit(start.Channel, 1_000_000), CancellationToken.None);
        });
        await using var connection = await WorkerConnection.ConnectAsync(peer.SocketPath, null, CancellationToken.None);
        await using var session = await connection.Stt!.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<EngineException>(async () =>
        {
            await foreach (var _ in session.ReadEventsAsync(CancellationToken.None)) { }
        });

        Assert.Equal(WorkerConnection.WorkerLostCode, error.Code);
        Assert.Contains($"protocol error on session {peer.FirstChannel}", error.Message, StringComparison.Ordinal);
        Assert.Contains("credited more audio than was sent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TtsRequest_WorkerAnswersWithAnSttEvent_RequestFaultsWithWorkerLostNamingTheRequest()
    {
        await using var peer = ScriptedWorker.Start(_dir, (stream, start) =>
            FrameCodec.WriteAsync(stream, Frame.Empty(FrameType.SttStarted, start.Channel), CancellationToken.None).AsTask());
        await using var connection = await WorkerConnection.ConnectAsync(peer.SocketPath, null, CancellationToken.None);

        var error = await Assert.ThrowsAsync<EngineException>(async () =>
        {
            await foreach (var _ in connection.Tts!.SynthesizeAsync(new TtsRequest { Text = "hello" }, CancellationToken.None)) { }
        });

        Assert.Equal(WorkerConnection.WorkerLostCode, error.Code);
        Assert.Contains($"protocol error on TTS request {peer.FirstChannel}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"does not accept {FrameType.SttStarted} frames", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SttSession_WorkerSendsAnErrorFrame_SessionFaultsWithThatErrorAndTheConnectionStays()
    {
        await using var peer = ScriptedWorker.Start(_dir, async (stream, start) =>
        {
            await FrameCodec.WriteAsync(stream, Frame.Empty(FrameType.SttStarted, start.Channel), CancellationToken.None);
            await FrameCodec.WriteAsync(stream, Frames.Error(start.Channel, new EngineException("bad_audio", "the audio is not 16 kHz", isPermanent: true)), CancellationToken.None);
        });
        await using var connection = await WorkerConnection.ConnectAsync(peer.SocketPath, null, CancellationToken.None);
        await using var session = await connection.Stt!.StartSessionAsync(new SttSessionOptions(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<EngineException>(async () =>
        {
            await foreach (var _ in session.ReadEventsAsync(CancellationToken.None)) { }
        });

        Assert.Equal("bad_audio", error.Code);
        Assert.True(error.IsPermanent);
        Assert.Null(connection.LostReason);
    }

    /// <summary>
    /// Greets as a worker serving STT and TTS, then for the first StartStt or StartTts frame runs the
    /// script and keeps reading (and ignoring) frames until the gateway hangs up.
    /// </summary>
    private sealed class ScriptedWorker : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly Task _run;
        private readonly TaskCompletionSource<uint> _firstChannel = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private ScriptedWorker(string socketPath, Socket listener, Func<NetworkStream, Frame, Task> script)
        {
            SocketPath = socketPath;
            _listener = listener;
            _run = Task.Run(() => RunAsync(script));
        }

        public string SocketPath { get; }

        public uint FirstChannel => _firstChannel.Task.IsCompletedSuccessfully ? _firstChannel.Task.Result : throw new InvalidOperationException("no session was started");

        public static ScriptedWorker Start(string dir, Func<NetworkStream, Frame, Task> script)
        {
            var path = Path.Combine(dir, $"{Guid.NewGuid():N}.sock");
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            return new ScriptedWorker(path, listener, script);
        }

        private async Task RunAsync(Func<NetworkStream, Frame, Task> script)
        {
            using var socket = await _listener.AcceptAsync();
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var hello = new HelloMessage(HelloMessage.CurrentProtocol, "scripted", Environment.ProcessId,
                new PassthroughSttEngine().Capabilities, new PassthroughTtsEngine().Capabilities, Capacity: 4, AudioWindow: 64 * 1024);
            await FrameCodec.WriteAsync(stream, Frames.Json(FrameType.Hello, 0, hello), CancellationToken.None);
            try
            {
                while (await stream.ReadFrameAsync() is { } frame)
                {
                    if (frame.Type is FrameType.StartStt or FrameType.StartTts && _firstChannel.TrySetResult(frame.Channel))
                        await script(stream, frame);
                }
            }
            catch (IOException)
            {
                // The gateway closed the connection.
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            await _run.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }
}
