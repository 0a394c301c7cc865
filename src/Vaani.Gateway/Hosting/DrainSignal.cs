namespace Vaani.Gateway.Hosting;

/// <summary>
/// Fires when a draining node's grace period has run out: sessions still open are then closed
/// with 1012 and a reconnect hint. Admission stops earlier, at the start of the drain.
/// </summary>
public sealed class DrainSignal : IDisposable
{
    private readonly CancellationTokenSource _cts = new();

    public CancellationTokenRegistration Register(Action callback) => _cts.Token.Register(callback);

    public bool IsSet => _cts.IsCancellationRequested;

    public void Set() => _cts.Cancel();

    public void Dispose() => _cts.Dispose();
}
