using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Vaani.Workers.Hosting;
using Vaani.Workers.Protocol;
using Vaani.Workers.Tests.Infrastructure;

namespace Vaani.Workers.Tests.Hosting;

public sealed class WorkerProcessTests
{
    private static async Task<NetworkStream> RawConnectAsync(string socketPath)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        return new NetworkStream(socket, ownsSocket: true);
    }

    [Fact]
    public async Task Connect_RawSocket_FirstFrameIsHelloWithPoolPidAndCapabilities()
    {
        await using var worker = await TestWorker.StartAsync();
        await using var stream = await RawConnectAsync(worker.SocketPath);

        var hello = (await stream.ReadFrameAsync())!.Value;

        Assert.Equal(FrameType.Hello, hello.Type);
        Assert.Equal(0u, hello.Channel);
        using var json = JsonDocument.Parse(hello.Payload);
        Assert.Equal("stt-passthrough", json.RootElement.GetProperty("pool").GetString());
        Assert.Equal(worker.Process.Id, json.RootElement.GetProperty("pid").GetInt32());
        Assert.Equal(16000, json.RootElement.GetProperty("stt").GetProperty("nativeFormat").GetProperty("sampleRate").GetInt32());
        Assert.Equal(64, json.RootElement.GetProperty("capacity").GetInt32());
    }

    [Fact]
    public async Task ReadFrame_OversizedFrameFromGateway_WorkerSendsFrameTooLargeErrorAndCloses()
    {
        await using var worker = await TestWorker.StartAsync();
        await using var stream = await RawConnectAsync(worker.SocketPath);
        Assert.Equal(FrameType.Hello, (await stream.ReadFrameAsync())!.Value.Type);

        var header = new byte[Frame.HeaderSize];
        FrameCodec.WriteHeader(header, FrameType.Audio, 1, 16 * 1024 * 1024);
        await stream.WriteAsync(header);

        var error = (await stream.ReadFrameAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)))!.Value;
        Assert.Equal(FrameType.Error, error.Type);
        var message = JsonSerializer.Deserialize<ErrorMessage>(error.Payload.Span, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal("frame_too_large", message.Code);
        Assert.Contains("16777216", message.Message);
        Assert.Null(await stream.ReadFrameAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        // The worker itself is unaffected.
        Assert.False(worker.Process.HasExited);
        await using var again = await RawConnectAsync(worker.SocketPath);
        Assert.Equal(FrameType.Hello, (await again.ReadFrameAsync())!.Value.Type);
    }

    [Fact]
    public async Task Ping_RawSocket_PongEchoesNonce()
    {
        await using var worker = await TestWorker.StartAsync();
        await using var stream = await RawConnectAsync(worker.SocketPath);
        await stream.ReadFrameAsync();

        await FrameCodec.WriteAsync(stream, new Frame(FrameType.Ping, 0, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }), CancellationToken.None);

        var pong = (await stream.ReadFrameAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)))!.Value;
        Assert.Equal(FrameType.Pong, pong.Type);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, pong.Payload.ToArray());
    }

    [Fact]
    public async Task RunAsync_Sigterm_ExitsZeroAndRemovesSocket()
    {
        await using var worker = await TestWorker.StartAsync();
        Assert.True(File.Exists(worker.SocketPath));

        Signal.Send(worker.Process.Id, "TERM");
        await worker.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, worker.Process.ExitCode);
        Assert.False(File.Exists(worker.SocketPath));
    }

    [Fact]
    public async Task RunAsync_UnknownPool_ExitsWithCode2AndNamesKnownPools()
    {
        using var dir = new TempDir();
        using var process = Process.Start(TestWorker.StartInfo("stt-klingon", Path.Combine(dir.Path, "w.sock")))!;
        var stderr = await process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync();

        Assert.Equal(WorkerProcess.ExitUnknownPool, process.ExitCode);
        Assert.Contains("'stt-klingon' is not registered", stderr);
        Assert.Contains("stt-passthrough", stderr);
    }

    [Fact]
    public async Task RunAsync_StdinClosedWithWatchEnabled_Exits()
    {
        using var dir = new TempDir();
        var info = TestWorker.StartInfo("stt-passthrough", Path.Combine(dir.Path, "w.sock"));
        info.Environment[WorkerProcess.WatchStdinVariable] = "1";
        using var process = Process.Start(info)!;
        Assert.StartsWith(WorkerHost.ReadyPrefix, await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));

        // What the kernel does to the pipe when the supervising process dies.
        process.StandardInput.Close();

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("standard input closed", await process.StandardError.ReadToEndAsync());
    }

    [Fact]
    public async Task RunAsync_ParentPidIsNotTheActualParent_ExitsAsOrphan()
    {
        using var dir = new TempDir();
        var info = TestWorker.StartInfo("stt-passthrough", Path.Combine(dir.Path, "w.sock"));
        // As if the expected parent had died and the worker had been re-parented.
        info.Environment[WorkerProcess.ParentPidVariable] = int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(info)!;

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, process.ExitCode);
        Assert.Contains($"parent process {int.MaxValue} is gone", await process.StandardError.ReadToEndAsync());
    }

    [Fact]
    public async Task StartStt_WorkerAtCapacity_SecondSessionRefusedWithWorkerBusy()
    {
        using var dir = new TempDir();
        var socket = Path.Combine(dir.Path, "w.sock");
        using var stop = new CancellationTokenSource();
        var ready = new StringWriter();
        var host = WorkerHost.RunAsync(new WorkerOptions { Pool = "stt-passthrough", SocketPath = socket, Capacity = 1, ReadyOutput = TextWriter.Synchronized(ready) }, stop.Token);
        try
        {
            await using var connection = await ConnectWhenListeningAsync(socket, host);
            await using var first = await connection.Stt!.StartSessionAsync(new(), CancellationToken.None);

            var ex = await Assert.ThrowsAsync<Vaani.Engines.EngineException>(async () => await connection.Stt.StartSessionAsync(new(), CancellationToken.None));

            Assert.Equal("worker_busy", ex.Code);
            Assert.False(ex.IsPermanent);
            Assert.True(connection.IsAlive);
        }
        finally
        {
            await stop.CancelAsync();
            await host.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task StartStt_NextSessionStartedOnSttClosed_AdmittedAtCapacityWhileTheEngineTakesTimeToLetGo()
    {
        // A gateway places a client's next session as soon as it reads SttClosed. The worker must have
        // given back the session's engine resources and its slot by then, even when the engine's
        // session takes a while to release them (PocketSphinx waits for its pump thread).
        using var dir = new TempDir();
        var socket = Path.Combine(dir.Path, "w.sock");
        using var stop = new CancellationTokenSource();
        var catalog = new Vaani.Workers.Catalog.EngineCatalog()
            .Register("stt-slow-release", _ => new SlowReleaseSttEngine(new Vaani.Engines.Passthrough.PassthroughSttEngine(), TimeSpan.FromMilliseconds(300)));
        var host = WorkerHost.RunAsync(new WorkerOptions { Pool = "stt-slow-release", SocketPath = socket, Capacity = 1, Catalog = catalog }, stop.Token);
        try
        {
            await using var connection = await ConnectWhenListeningAsync(socket, host);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            for (int i = 0; i < 3; i++)
            {
                // Throws worker_busy if the previous session still held the only slot.
                await using var session = await connection.Stt!.StartSessionAsync(new(), timeout.Token);
                await session.SendAudioAsync(new byte[3200], timeout.Token);
                await session.CompleteAsync(timeout.Token);
                int finals = 0;
                await foreach (var e in session.ReadEventsAsync(timeout.Token))
                    if (e is Vaani.Engines.SttFinal) finals++;
                Assert.Equal(1, finals);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await host.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>A real engine whose sessions take <paramref name="delay"/> to release their resources on dispose.</summary>
    private sealed class SlowReleaseSttEngine(Vaani.Engines.ISpeechToTextEngine inner, TimeSpan delay) : Vaani.Engines.ISpeechToTextEngine
    {
        public Vaani.Engines.EngineCapabilities Capabilities => inner.Capabilities;

        public async ValueTask<Vaani.Engines.ISpeechToTextSession> StartSessionAsync(Vaani.Engines.SttSessionOptions options, CancellationToken cancellationToken) =>
            new Session(await inner.StartSessionAsync(options, cancellationToken), delay);

        private sealed class Session(Vaani.Engines.ISpeechToTextSession inner, TimeSpan delay) : Vaani.Engines.ISpeechToTextSession
        {
            public ValueTask SendAudioAsync(ReadOnlyMemory<byte> audio, CancellationToken cancellationToken) => inner.SendAudioAsync(audio, cancellationToken);
            public ValueTask FinalizeAsync(CancellationToken cancellationToken) => inner.FinalizeAsync(cancellationToken);
            public ValueTask CompleteAsync(CancellationToken cancellationToken) => inner.CompleteAsync(cancellationToken);
            public IAsyncEnumerable<Vaani.Engines.SttEvent> ReadEventsAsync(CancellationToken cancellationToken) => inner.ReadEventsAsync(cancellationToken);

            public async ValueTask DisposeAsync()
            {
                await Task.Delay(delay);
                await inner.DisposeAsync();
            }
        }
    }

    private static async Task<Vaani.Workers.Client.WorkerConnection> ConnectWhenListeningAsync(string socket, Task host)
    {
        // In-process host: Bind+Listen happen synchronously before RunAsync's first await, so the socket exists now.
        Assert.False(host.IsFaulted, host.Exception?.ToString());
        return await Vaani.Workers.Client.WorkerConnection.ConnectAsync(socket, null, CancellationToken.None);
    }
}
