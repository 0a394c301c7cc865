using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Vaani.Workers.Net;

namespace Vaani.Gateway.Transport;

/// <summary>
/// One accepted TCP connection as Kestrel sees it: a receive loop into <see cref="ConnectionContext.Transport"/>'s
/// input and a send loop from its output, both non-blocking calls on the socket that wait on the
/// gateway's <see cref="EventLoop"/> and run on its thread. <see cref="DetachAsync"/> ends both loops
/// without closing the socket and hands it (and its watch) to the caller; the connection still owns
/// the socket and closes it when Kestrel disposes the connection.
/// </summary>
internal sealed class DirectConnection : ConnectionContext,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IConnectionLifetimeFeature,
    IConnectionEndPointFeature, IConnectionSocketFeature
{
    /// <summary>Kestrel's default request buffer limit: a client that sends more than this unread is paused.</summary>
    private const long InputPause = 1024 * 1024;
    /// <summary>Kestrel's default response buffer limit: a handler writing more than this waits for the socket.</summary>
    private const long OutputPause = 64 * 1024;
    private const int SegmentSize = 4096;

    private readonly Socket _socket;
    private readonly SocketWatch _watch;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _sendStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _receiving = Task.CompletedTask;
    private Task _sending = Task.CompletedTask;
    private volatile bool _detaching;
    private int _shutdown;

    /// <param name="watch">The accepted socket, watched for reads and writes by an event loop.</param>
    public DirectConnection(SocketWatch watch, string id)
    {
        _watch = watch;
        _socket = watch.Socket;
        var socket = _socket;
        ConnectionId = id;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        _input = new Pipe(new PipeOptions(pauseWriterThreshold: InputPause, resumeWriterThreshold: InputPause / 2,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, minimumSegmentSize: SegmentSize, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(pauseWriterThreshold: OutputPause, resumeWriterThreshold: OutputPause / 2,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, minimumSegmentSize: SegmentSize, useSynchronizationContext: false));
        Transport = new DuplexPipe(_input.Reader, _output.Writer);
        var features = new FeatureCollection();
        features.Set<IConnectionIdFeature>(this);
        features.Set<IConnectionTransportFeature>(this);
        features.Set<IConnectionItemsFeature>(this);
        features.Set<IConnectionLifetimeFeature>(this);
        features.Set<IConnectionEndPointFeature>(this);
        features.Set<IConnectionSocketFeature>(this);
        features.Set(this);
        Features = features;
    }

    public override string ConnectionId { get; set; }
    public override IFeatureCollection Features { get; }
    public override IDictionary<object, object?> Items { get; set; } = new ConnectionItems();
    public override IDuplexPipe Transport { get; set; }
    public override CancellationToken ConnectionClosed { get; set; }
    public override EndPoint? LocalEndPoint { get; set; }
    public override EndPoint? RemoteEndPoint { get; set; }
    public Socket Socket => _socket;

    /// <summary>The socket's registration with the event loop.</summary>
    public SocketWatch Watch => _watch;

    /// <summary>True once the socket belongs to a detached session.</summary>
    public bool IsDetached => _detaching;

    internal void Start()
    {
        ConnectionClosed = _closed.Token;
        _receiving = ReceiveLoopAsync();
        _sending = SendLoopAsync();
    }

    /// <summary>
    /// Ends the receive loop without reading further, so nothing the client sends after this reaches
    /// Kestrel. Called before the handshake response goes out: a WebSocket client sends no frame
    /// before it has seen the 101, so no frame can be left behind in the input pipe.
    /// </summary>
    public Task StopReadingAsync()
    {
        _detaching = true;
        _watch.WakeReader();
        return _receiving;
    }

    /// <summary>
    /// Sends what Kestrel has written so far (the handshake response), ends the send loop and
    /// returns the socket. Call after <see cref="StopReadingAsync"/> and the upgrade.
    /// </summary>
    public async Task<SocketWatch> DetachAsync()
    {
        if (!_detaching) throw new InvalidOperationException("stop reading before detaching");
        _output.Reader.CancelPendingRead();
        await _sendStopped.Task.ConfigureAwait(false);
        if (Volatile.Read(ref _shutdown) != 0) throw new ConnectionAbortedException("the connection closed during the WebSocket handshake");
        return _watch;
    }

    private async Task ReceiveLoopAsync()
    {
        var input = _input.Writer;
        Exception? error = null;
        try
        {
            bool open = true;
            while (open && !_detaching)
            {
                // Wait for data without a buffer: an idle keep-alive connection holds none.
                await _watch.WaitReadableAsync().ConfigureAwait(false);
                // Edge-triggered: read until a short read says the socket is empty.
                while (!_detaching)
                {
                    var memory = input.GetMemory(SegmentSize);
                    int n = _socket.Receive(memory.Span, SocketFlags.None, out var status);
                    if (status == SocketError.WouldBlock) break;
                    if (status != SocketError.Success) throw new SocketException((int)status);
                    if (n == 0) { open = false; break; } // the client finished sending
                    input.Advance(n);
                    var flush = await input.FlushAsync().ConfigureAwait(false);
                    if (flush.IsCompleted || flush.IsCanceled) { open = false; break; }
                    if (n < memory.Length) break;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            error = Volatile.Read(ref _shutdown) != 0 ? new ConnectionAbortedException("the connection was aborted", ex) : new ConnectionResetException(ex.Message, ex);
        }
        if (_detaching) return; // the input stays open: the upgraded request must not see an end of input
        await input.CompleteAsync(error).ConfigureAwait(false);
        FireClosed();
    }

    private async Task SendLoopAsync()
    {
        var output = _output.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await output.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                    await SendAsync(segment).ConfigureAwait(false);
                output.AdvanceTo(buffer.End);
                if (result.IsCompleted) break;
                if (_detaching && !output.TryRead(out _)) { _sendStopped.TrySetResult(); return; }
                if (_detaching) output.CancelPendingRead(); // the TryRead above found more: send it on the next turn, then stop
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            error = ex;
        }
        _sendStopped.TrySetResult();
        await output.CompleteAsync(error).ConfigureAwait(false);
        Shutdown();
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = _socket.Send(data.Span, SocketFlags.None, out var status);
            if (status == SocketError.Success) data = data[n..];
            else if (status == SocketError.WouldBlock) await _watch.WaitWritableAsync().ConfigureAwait(false);
            else throw new SocketException((int)status);
        }
    }

    private void FireClosed()
    {
        try { _closed.Cancel(); } catch (ObjectDisposedException) { }
    }

    private void Shutdown()
    {
        if (Interlocked.Exchange(ref _shutdown, 1) != 0) return;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        _watch.Dispose(); // completes the loops' waits; their next call sees the closed socket
        _socket.Dispose();
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _output.Reader.CancelPendingRead();
        Shutdown();
        FireClosed();
    }

    public override async ValueTask DisposeAsync()
    {
        // Kestrel's ends of the pipes; the loops see them complete and stop.
        await _input.Reader.CompleteAsync().ConfigureAwait(false);
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        Shutdown();
        await Task.WhenAll(_receiving, _sending).ConfigureAwait(false);
        if (_detaching)
        {
            // The loops left their ends open when they handed the socket over.
            await _input.Writer.CompleteAsync().ConfigureAwait(false);
            await _output.Reader.CompleteAsync().ConfigureAwait(false);
        }
        FireClosed();
        _closed.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    private sealed class ConnectionItems : Dictionary<object, object?>;
}
