using System.Net;
using System.Net.Sockets;

namespace Vaani.Bench.Gateway;

/// <summary>
/// The floor for a user-space WebSocket proxy on this machine and runtime: one thread with its own
/// epoll set, non-blocking sockets, and the client's bytes copied to the backend (and back) as they
/// come — no HTTP or WebSocket parsing, no session, no JSON. That is all nginx does with an upgraded
/// stream, and it is less than the gateway must do (terminate the WebSocket, buffer audio for replay,
/// speak the worker protocol, turn worker events into client JSON). Measured beside both, it splits
/// the gateway's CPU per frame into what any proxy pays here (system calls and wake-ups) and what the
/// gateway's own per-frame work adds. It reads until a short read, as nginx does, so it makes no
/// system call a proxy could avoid. Run as <c>gateway --bare-relay &lt;backend port&gt;</c>; it exits
/// when its standard input closes (its parent is gone). Linux x86-64 only (the epoll event layout).
/// </summary>
internal static class BareRelay
{
    private const int ReadBufferBytes = 64 * 1024;

    public static int Run(int backendPort)
    {
        if (!Epoll.IsSupported)
        {
            Console.Error.WriteLine("the bare relay needs Linux on x86-64");
            return 2;
        }
        var (listener, epoll) = Epoll.Listen();
        using var _ = listener;
        var backend = new IPEndPoint(IPAddress.Loopback, backendPort);
        // Each socket's peer, by file descriptor.
        var peers = new Dictionary<int, (Socket Self, Socket Peer)>();

        var events = new Epoll.Event[256];
        var buffer = new byte[ReadBufferBytes];
        while (true)
        {
            int n = Epoll.Wait(epoll, events);
            for (int i = 0; i < n; i++)
            {
                int fd = (int)events[i].Data;
                if (fd == (int)listener.Handle)
                {
                    Accept(listener, backend, epoll, peers);
                    continue;
                }
                if (peers.TryGetValue(fd, out var pair) && !Relay(pair.Self, pair.Peer, buffer))
                    Close(epoll, peers, pair.Self, pair.Peer);
            }
        }
    }

    private static void Accept(Socket listener, IPEndPoint backend, int epoll, Dictionary<int, (Socket, Socket)> peers)
    {
        while (true)
        {
            Socket client;
            try { client = listener.Accept(); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock) { return; }
            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try { upstream.Connect(backend); } // loopback: immediate
            catch (SocketException)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }
            client.NoDelay = true;
            client.Blocking = false;
            upstream.Blocking = false;
            peers[(int)client.Handle] = (client, upstream);
            peers[(int)upstream.Handle] = (upstream, client);
            Epoll.Watch(epoll, (int)client.Handle);
            Epoll.Watch(epoll, (int)upstream.Handle);
        }
    }

    /// <summary>Copies what <paramref name="from"/> has to <paramref name="to"/>; false when either side is done.</summary>
    private static bool Relay(Socket from, Socket to, byte[] buffer)
    {
        while (true)
        {
            int got = from.Receive(buffer, 0, buffer.Length, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock) return true;
            if (error != SocketError.Success || got == 0) return false;
            for (int sent = 0; sent < got;)
            {
                int n = to.Send(buffer, sent, got - sent, SocketFlags.None, out error);
                if (error == SocketError.WouldBlock)
                {
                    // The peer is not reading: this baseline waits for it rather than buffering (bounded wait).
                    if (!to.Poll(5_000_000, SelectMode.SelectWrite)) return false;
                    continue;
                }
                if (error != SocketError.Success) return false;
                sent += n;
            }
            if (got < buffer.Length) return true; // a short read drained the socket: wait for the next event
        }
    }

    private static void Close(int epoll, Dictionary<int, (Socket, Socket)> peers, Socket a, Socket b)
    {
        foreach (var s in (ReadOnlySpan<Socket>)[a, b])
        {
            int fd = (int)s.Handle;
            Epoll.Unwatch(epoll, fd);
            peers.Remove(fd);
            s.Dispose();
        }
    }
}
