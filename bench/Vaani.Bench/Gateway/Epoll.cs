using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Vaani.Bench.Gateway;

/// <summary>Linux epoll (level-triggered, read readiness) for the benchmark's relays; x86-64 event layout.</summary>
internal static partial class Epoll
{
    private const uint In = 0x001;
    private const int CtlAdd = 1;
    private const int CtlDel = 2;
    private const int Eintr = 4;

    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>
    /// A relay's start: a non-blocking listener on a free loopback port, an epoll set watching it,
    /// the port announced to the parent, and an exit when the parent goes away.
    /// </summary>
    public static (Socket Listener, int Epoll) Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1024);
        listener.Blocking = false;
        int epoll = Create();
        Watch(epoll, (int)listener.Handle);
        BenchChild.AnnounceListening($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}");
        BenchChild.ExitWhenStdinCloses();
        return (listener, epoll);
    }

    public static int Create()
    {
        int epoll = EpollCreate1(0);
        return epoll >= 0 ? epoll : throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Watches <paramref name="fd"/> for reading; its events carry the descriptor.</summary>
    public static unsafe void Watch(int epoll, int fd)
    {
        var e = new Event { Events = In, Data = (ulong)fd };
        if (EpollCtl(epoll, CtlAdd, fd, (IntPtr)(&e)) != 0)
            throw new IOException($"epoll_ctl failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public static void Unwatch(int epoll, int fd) => EpollCtl(epoll, CtlDel, fd, IntPtr.Zero);

    /// <summary>Waits for events (no timeout); the number filled in <paramref name="events"/>.</summary>
    public static int Wait(int epoll, Event[] events)
    {
        while (true)
        {
            int n = EpollWait(epoll, events, events.Length, -1);
            if (n >= 0) return n;
            if (Marshal.GetLastPInvokeError() != Eintr)
                throw new IOException($"epoll_wait failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary><c>struct epoll_event</c>, packed on x86-64.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct Event
    {
        public uint Events;
        public ulong Data;
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epoll, int op, int fd, IntPtr e);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epoll, [Out] Event[] events, int max, int timeout);
}
