using System.Net.Sockets;
using System.Security.Cryptography;
using Vaani.Workers.Client;
using Vaani.Workers.Protocol;
using Vaani.Workers.Tests.Infrastructure;

namespace Vaani.Workers.Tests.Client;

public sealed class UnpolledSocketStreamTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vaani-unpolled-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A connected pair: (client wrapped in the stream under test, accepted server socket).</summary>
    private (UnpolledSocketStream Client, Socket Server) Pair(int? bufferBytes = null)
    {
        var (client, server) = UnixSocketPair.Connect(_dir, bufferBytes);
        return (new UnpolledSocketStream(client), server);
    }

    [Fact]
    public async Task WriteAsync_MoreThanTheSocketBuffers_EveryByteArrivesInOrder()
    {
        var (client, server) = Pair();
        using var _ = server;
        await using var __ = client;
        // Far more than a Unix socket buffers (~200 KiB): the writer must hit "would block" and wait.
        var data = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        var received = new MemoryStream();
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[7919];
            using var peer = new NetworkStream(server, ownsSocket: false);
            int n;
            while ((n = await peer.ReadAsync(buffer)) > 0)
            {
                received.Write(buffer, 0, n);
                if (received.Length % (1024 * 1024) < 7919) await Task.Delay(5); // a slow reader
            }
        });
        for (int offset = 0; offset < data.Length; offset += 100_000)
            await client.WriteAsync(data.AsMemory(offset, Math.Min(100_000, data.Length - offset)));
        server.Shutdown(SocketShutdown.Receive);
        client.Dispose(); // shuts the socket down: the peer reads to the end
        await reader.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(data.Length, received.Length);
        Assert.True(data.AsSpan().SequenceEqual(received.ToArray()), "bytes arrived out of order or corrupted");
    }

    [Fact]
    public async Task ReadAsync_PeerSendsLater_WaitsThenReturnsTheBytes_AndZeroAtEnd()
    {
        var (client, server) = Pair();
        using var _ = server;
        await using var __ = client;
        var read = Task.Run(async () =>
        {
            var buffer = new byte[16];
            int n = await client.ReadAsync(buffer);
            int end = await client.ReadAsync(buffer.AsMemory(n));
            return (buffer[..n], end);
        });
        await Task.Delay(300); // the reader is now waiting in poll(2)
        Assert.False(read.IsCompleted);
        server.Send("hello"u8);
        server.Shutdown(SocketShutdown.Send);
        var (bytes, endOfStream) = await read.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("hello"u8.ToArray(), bytes);
        Assert.Equal(0, endOfStream);
    }

    [Fact]
    public async Task ReadAsync_Cancelled_ThrowsWithoutData()
    {
        var (client, server) = Pair();
        using var _ = server;
        await using var __ = client;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var read = Task.Run(async () => await client.ReadAsync(new byte[16], cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>
    /// A writer whose peer stopped reading (a stalled worker) waits for room without holding a
    /// thread-pool thread: the gateway's HTTP requests, timers and session work run on that pool, and
    /// on a small machine a few blocked threads starve it. Checked on the threads themselves: while 16
    /// writes wait, no more pool threads may sit in poll(2) than before (Linux: /proc/self/task/*/syscall).
    /// </summary>
    [Fact]
    public async Task WriteAsync_PeersNotReading_NoPoolThreadWaitsInPoll()
    {
        const int Writers = 16;
        var pairs = new List<(UnpolledSocketStream Client, Socket Server)>();
        using var stop = new CancellationTokenSource(); // ends the writes if the test fails
        try
        {
            for (int i = 0; i < Writers; i++) pairs.Add(Pair());
            // Pool threads already in poll(2) for something else (the test host polls its own socket).
            var before = PoolThreadsInPoll();
            // Several times what a Unix socket buffers (~200 KiB): every write must wait for its peer.
            var data = RandomNumberGenerator.GetBytes(1024 * 1024);
            var writes = pairs.Select(p => p.Client.WriteAsync(data, stop.Token).AsTask()).ToList();
            await Task.Delay(300);
            Assert.DoesNotContain(writes, w => w.IsCompleted);
            for (int sample = 0; sample < 10; sample++)
            {
                var inPoll = PoolThreadsInPoll().Except(before).ToList();
                Assert.True(inPoll.Count == 0, $"{inPoll.Count} thread-pool threads wait in poll(2) for the writes: {string.Join(", ", inPoll)}");
                await Task.Delay(50);
            }

            // The peers read: every write completes with every byte, in order.
            var reads = pairs.Select(async p =>
            {
                var received = new byte[data.Length];
                await using var peer = new NetworkStream(p.Server, ownsSocket: false);
                await peer.ReadExactlyAsync(received);
                return received;
            }).ToList();
            await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30));
            foreach (var received in await Task.WhenAll(reads).WaitAsync(TimeSpan.FromSeconds(30)))
                Assert.True(data.AsSpan().SequenceEqual(received), "bytes arrived out of order or corrupted");
        }
        finally
        {
            stop.Cancel();
            foreach (var (client, server) in pairs)
            {
                await client.DisposeAsync();
                server.Dispose();
            }
        }
    }

    /// <summary>Thread ids of this process's thread-pool workers blocked in poll(2) right now.</summary>
    private static List<string> PoolThreadsInPoll()
    {
        // The first field of /proc/<pid>/task/<tid>/syscall is the number of the call the thread is in:
        // poll(2) on x86-64; glibc implements poll with ppoll on arm64.
        var poll = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.X64 => "7",
            System.Runtime.InteropServices.Architecture.Arm64 => "73",
            var other => throw new PlatformNotSupportedException($"no poll system call number known for {other}"),
        };
        var found = new List<string>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET TP Worker", StringComparison.Ordinal)) continue;
                if (File.ReadAllText(Path.Combine(task, "syscall")).Split(' ')[0] == poll) found.Add(Path.GetFileName(task));
            }
            catch (IOException) { } // the thread ended meanwhile
        }
        return found;
    }
    /// <summary>
    /// A <see cref="FrameWriter"/> on this stream: small frames written directly in the caller's
    /// call (<see cref="FrameWriter.TryWriteNow"/>) and frames that fall back to the queue, mixed,
    /// towards a reader that keeps stalling, so direct writes find the socket full, partly full and
    /// the pump busy. Every frame must arrive whole and in the order it was handed over.
    /// </summary>
    [Fact]
    public async Task FrameWriter_DirectAndQueuedFramesMixed_SlowReader_AllArriveWholeInOrder()
    {
        var (client, server) = Pair(bufferBytes: 8192); // a few frames fill it
        using var _ = server;
        await using var __ = client;
        var writer = new FrameWriter(client, 16, () => new IOException("closed"));
        const int frames = 3_000;
        var received = new List<(FrameType Type, uint Channel, byte[] Payload)>();
        var reader = Task.Run(async () =>
        {
            using var peer = new NetworkStream(server, ownsSocket: false);
            while (received.Count < frames && await peer.ReadFrameAsync() is { } f)
            {
                received.Add((f.Type, f.Channel, f.Payload.ToArray()));
                if (received.Count % 200 == 0) await Task.Delay(20); // the socket fills up meanwhile
            }
        });
        int direct = 0;
        var expected = new List<byte[]>();
        for (int i = 0; i < frames; i++)
        {
            // Mostly 20 ms frames, sometimes one over the direct limit (always queued).
            var payload = new byte[i % 97 == 0 ? FrameWriter.MaxDirectPayload + 1 : 640 + i % 7];
            BitConverter.TryWriteBytes(payload, i);
            payload[^1] = (byte)i;
            expected.Add(payload);
            if (writer.TryWriteNow(FrameType.Audio, (uint)(i % 3 + 1), payload)) direct++;
            else await writer.SendAsync(new Frame(FrameType.Audio, (uint)(i % 3 + 1), payload.ToArray()), CancellationToken.None);
        }
        await reader.WaitAsync(TimeSpan.FromSeconds(60));
        writer.Complete();

        Assert.Equal(frames, received.Count);
        for (int i = 0; i < frames; i++)
        {
            Assert.Equal((uint)(i % 3 + 1), received[i].Channel);
            Assert.True(expected[i].AsSpan().SequenceEqual(received[i].Payload), $"frame {i} arrived as frame {BitConverter.ToInt32(received[i].Payload)}");
        }
        Assert.InRange(direct, 1, frames - frames / 97 - 2); // both paths were taken (how often each is timing)
    }
}
