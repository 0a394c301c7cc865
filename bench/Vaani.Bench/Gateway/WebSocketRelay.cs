using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Vaani.Bench.Gateway;

/// <summary>
/// The floor for a proxy that terminates the WebSocket, as the gateway must: the <see cref="BareRelay"/>'s
/// loop (one thread, its own epoll set, non-blocking sockets, read until a short read), plus what
/// terminating costs at the least — its own upgrade handshake on each side, and every message read
/// as frames, unmasked, and written again as a frame of its own (masked with a fresh key towards the
/// backend, as a client must). No session, no audio, no JSON. Beside the gateway it says how much of
/// the gateway's CPU per frame any terminating proxy pays here, and how much is the gateway's own
/// layers (Kestrel, the async session core, the worker protocol). Run as
/// <c>gateway --ws-relay &lt;backend port&gt;</c>; exits when its standard input closes. Linux x86-64 only.
/// </summary>
internal static class WebSocketRelay
{
    private const int BufferBytes = 64 * 1024;

    public static int Run(int backendPort)
    {
        if (!Epoll.IsSupported)
        {
            Console.Error.WriteLine("the WebSocket relay needs Linux on x86-64");
            return 2;
        }
        var (listener, epoll) = Epoll.Listen();
        using var _ = listener;
        var backend = new IPEndPoint(IPAddress.Loopback, backendPort);
        var connections = new Dictionary<int, Connection>();

        var events = new Epoll.Event[256];
        var output = new byte[BufferBytes + 14];
        var random = new Random(1);
        while (true)
        {
            int n = Epoll.Wait(epoll, events);
            for (int i = 0; i < n; i++)
            {
                int fd = (int)events[i].Data;
                if (fd == (int)listener.Handle)
                {
                    Accept(listener, epoll, connections);
                    continue;
                }
                if (!connections.TryGetValue(fd, out var connection))
                    continue;
                bool open = connection.Peer is null
                    ? Handshake(connection, backend, epoll, connections, output, random)
                    : Relay(connection, output, random);
                if (!open)
                    Close(epoll, connections, connection);
            }
        }
    }

    /// <summary>One side of a relayed session: the client (its frames come masked) or the backend.</summary>
    private sealed class Connection(Socket socket, bool isClient)
    {
        public Socket Socket { get; } = socket;
        public bool IsClient { get; } = isClient;
        public Connection? Peer { get; set; }
        public byte[] Input { get; } = new byte[BufferBytes];
        public int Buffered { get; set; }
    }

    private static void Accept(Socket listener, int epoll, Dictionary<int, Connection> connections)
    {
        while (true)
        {
            Socket client;
            try { client = listener.Accept(); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock) { return; }
            client.NoDelay = true;
            client.Blocking = false;
            connections[(int)client.Handle] = new Connection(client, isClient: true);
            Epoll.Watch(epoll, (int)client.Handle);
        }
    }

    /// <summary>
    /// Reads the client's upgrade request, makes its own upgrade to the backend (blocking: loopback,
    /// and only while sessions open), answers the client's 101, and relays what came after the heads.
    /// </summary>
    private static bool Handshake(Connection client, IPEndPoint backendAddress, int epoll, Dictionary<int, Connection> connections, byte[] output, Random random)
    {
        if (!Fill(client))
            return false;
        int end = HeadEnd(client.Input.AsSpan(0, client.Buffered));
        if (end < 0)
            return client.Buffered < BufferBytes;
        var head = Encoding.ASCII.GetString(client.Input, 0, end);
        var target = head[(head.IndexOf(' ') + 1)..head.IndexOf(" HTTP/", StringComparison.Ordinal)];
        var key = Header(head, "Sec-WebSocket-Key");
        if (key is null)
            return false;

        if (OpenBackend(backendAddress, target) is not (Connection backend, int backendEnd))
            return false;
        Consume(backend, backendEnd);
        backend.Socket.Blocking = false;
        client.Peer = backend;
        backend.Peer = client;
        connections[(int)backend.Socket.Handle] = backend;
        Epoll.Watch(epoll, (int)backend.Socket.Handle);

#pragma warning disable CA5350 // RFC 6455 defines Sec-WebSocket-Accept with SHA-1; it is no security measure
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
        SendAll(client.Socket, Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"));
        Consume(client, end);
        // Frames that came with either head.
        return Forward(client, output, random) && Forward(backend, output, random);
    }

    /// <summary>
    /// Connects to the backend and upgrades to a WebSocket there, within 5 s; the connection (still
    /// blocking) and the length of the backend's response head, or null (nothing left open) when it fails.
    /// </summary>
    private static (Connection Backend, int HeadEnd)? OpenBackend(IPEndPoint address, string target)
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendTimeout = 5000, ReceiveTimeout = 5000 };
        try
        {
            upstream.Connect(address);
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            upstream.Send(Encoding.ASCII.GetBytes(
                $"GET {target} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
            var backend = new Connection(upstream, isClient: false);
            int end;
            while ((end = HeadEnd(backend.Input.AsSpan(0, backend.Buffered))) < 0)
            {
                int got = upstream.Receive(backend.Input, backend.Buffered, BufferBytes - backend.Buffered, SocketFlags.None);
                if (got == 0)
                    break;
                backend.Buffered += got;
            }
            if (end > 0 && Encoding.ASCII.GetString(backend.Input, 0, end).StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
                return (backend, end);
        }
        catch (SocketException)
        {
            // Refused, reset or timed out: the client's connection is closed instead.
        }
        upstream.Dispose();
        return null;
    }

    /// <summary>Reads what <paramref name="from"/> has (until a short read) and forwards its complete frames.</summary>
    private static bool Relay(Connection from, byte[] output, Random random)
    {
        while (true)
        {
            int before = from.Buffered;
            if (!Fill(from))
                return false;
            int got = from.Buffered - before;
            if (!Forward(from, output, random))
                return false;
            if (got < BufferBytes - before)
                return true; // a short read drained the socket
        }
    }

    /// <summary>Reads once into the connection's buffer; false at end of stream or on an error.</summary>
    private static bool Fill(Connection connection)
    {
        int got = connection.Socket.Receive(connection.Input, connection.Buffered, BufferBytes - connection.Buffered, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock)
            return true;
        if (error != SocketError.Success || got == 0)
            return false;
        connection.Buffered += got;
        return true;
    }

    /// <summary>
    /// Turns every complete frame in <paramref name="from"/>'s buffer into a frame towards its peer:
    /// payload unmasked, then masked again with a fresh key when the peer is the backend.
    /// </summary>
    private static bool Forward(Connection from, byte[] output, Random random)
    {
        var to = from.Peer!;
        int offset = 0, written = 0;
        var input = from.Input.AsSpan(0, from.Buffered);
        while (input.Length - offset >= 2)
        {
            byte first = input[offset], second = input[offset + 1];
            bool masked = (second & 0x80) != 0;
            int headerLength = 2;
            long length = second & 0x7F;
            if (length == 126)
            {
                if (input.Length - offset < 4) break;
                length = BinaryPrimitives.ReadUInt16BigEndian(input[(offset + 2)..]);
                headerLength = 4;
            }
            else if (length == 127)
            {
                if (input.Length - offset < 10) break;
                length = (long)BinaryPrimitives.ReadUInt64BigEndian(input[(offset + 2)..]);
                headerLength = 10;
            }
            if (length > BufferBytes - 14)
                return false; // this relay's frames fit its buffer
            int maskAt = offset + headerLength;
            int payloadAt = maskAt + (masked ? 4 : 0);
            if (input.Length < payloadAt + length)
                break;
            var payload = input.Slice(payloadAt, (int)length);
            if (masked)
                Mask(payload, BinaryPrimitives.ReadUInt32LittleEndian(input[maskAt..]));

            if (written + 14 + length > output.Length)
            {
                if (!SendAll(to.Socket, output.AsSpan(0, written))) return false;
                written = 0;
            }
            bool maskOut = to.IsClient is false;
            output[written++] = first;
            byte maskBit = maskOut ? (byte)0x80 : (byte)0;
            if (length < 126)
            {
                output[written++] = (byte)(maskBit | length);
            }
            else if (length <= ushort.MaxValue)
            {
                output[written++] = (byte)(maskBit | 126);
                BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(written), (ushort)length);
                written += 2;
            }
            else
            {
                output[written++] = (byte)(maskBit | 127);
                BinaryPrimitives.WriteUInt64BigEndian(output.AsSpan(written), (ulong)length);
                written += 8;
            }
            var body = output.AsSpan(written + (maskOut ? 4 : 0), (int)length);
            payload.CopyTo(body);
            if (maskOut)
            {
                uint key = (uint)random.Next() ^ ((uint)random.Next() << 1);
                BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(written), key);
                Mask(body, key);
                written += 4;
            }
            written += (int)length;
            offset = payloadAt + (int)length;
        }
        Consume(from, offset);
        return written == 0 || SendAll(to.Socket, output.AsSpan(0, written));
    }

    /// <summary>XORs <paramref name="data"/> with the 4-byte key (as laid out on the wire), 8 bytes at a time.</summary>
    private static void Mask(Span<byte> data, uint key)
    {
        ulong wide = key | ((ulong)key << 32);
        int i = 0;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        for (; i < words.Length; i++)
            words[i] ^= wide;
        i *= 8;
        for (; i < data.Length; i++)
            data[i] ^= (byte)(key >> (8 * (i & 3)));
    }

    private static void Consume(Connection connection, int bytes)
    {
        if (bytes == 0) return;
        connection.Input.AsSpan(bytes, connection.Buffered - bytes).CopyTo(connection.Input);
        connection.Buffered -= bytes;
    }

    private static bool SendAll(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = socket.Send(data, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                // The peer is not reading: this baseline waits for it rather than buffering (bounded wait).
                if (!socket.Poll(5_000_000, SelectMode.SelectWrite)) return false;
                continue;
            }
            if (error != SocketError.Success) return false;
            data = data[n..];
        }
        return true;
    }

    private static int HeadEnd(ReadOnlySpan<byte> data)
    {
        int at = data.IndexOf("\r\n\r\n"u8);
        return at < 0 ? -1 : at + 4;
    }

    private static string? Header(string head, string name)
    {
        foreach (var line in head.Split("\r\n"))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                return line[(colon + 1)..].Trim();
        }
        return null;
    }

    private static void Close(int epoll, Dictionary<int, Connection> connections, Connection connection)
    {
        foreach (var side in (ReadOnlySpan<Connection?>)[connection, connection.Peer])
        {
            if (side is null) continue;
            int fd = (int)side.Socket.Handle;
            Epoll.Unwatch(epoll, fd);
            connections.Remove(fd);
            side.Socket.Dispose();
        }
    }
}
