using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Vaani.Workers.Net;

namespace Vaani.Gateway.Transport;

/// <summary>
/// Kestrel's transport for the gateway's TCP listeners. It does what Kestrel's own socket transport
/// does for HTTP (a receive loop into the connection's input pipe, a send loop from its output pipe),
/// on the gateway's own <see cref="EventLoop"/> instead of the runtime's socket engine, and one thing more: after a WebSocket handshake it hands
/// the socket itself to the session (<see cref="DirectConnection.DetachAsync"/>, used by
/// <see cref="DirectWebSocketMiddleware"/>), so a streaming frame goes from the socket to the
/// session without the pipes, Kestrel's upgraded-request stream and a second WebSocket layer in
/// between (docs/cli.md, "Event loop").
/// </summary>
internal sealed class DirectTransportFactory(Func<EventLoop> loops) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    /// <summary>Binds TCP endpoints only; anything else stays with Kestrel's socket transport.</summary>
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var ip = (IPEndPoint)endpoint;
        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (ip.Address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
        try
        {
            socket.Bind(ip);
            socket.Listen(512);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            // Kestrel recognises this type (e.g. to report the address, or to fall back for "localhost").
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new ValueTask<IConnectionListener>(new Listener(socket, loops));
    }

    private sealed class Listener(Socket socket, Func<EventLoop> loops) : IConnectionListener
    {
        private long _accepted;

        public EndPoint EndPoint { get; } = socket.LocalEndPoint!;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                try
                {
                    var accepted = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
                    accepted.NoDelay = true;
                    SocketWatch watch;
                    try { watch = loops().Watch(accepted, writes: true); }
                    catch (IOException)
                    {
                        accepted.Dispose(); // epoll refused it (e.g. out of memory): drop this one, take the next
                        continue;
                    }
                    var connection = new DirectConnection(watch, "d" + Interlocked.Increment(ref _accepted).ToString("x", System.Globalization.CultureInfo.InvariantCulture));
                    connection.Start();
                    return connection;
                }
                catch (ObjectDisposedException) { return null; }                                          // unbound
                catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted) { return null; }
                catch (SocketException) { }                                                                // a peer that reset before accept: take the next
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
