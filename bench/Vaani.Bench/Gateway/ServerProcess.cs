using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Vaani.Bench.Gateway;

/// <summary>
/// A server started for the benchmark as a child process, under <c>timeout(1)</c> so it stops by
/// itself even if the benchmark is killed. <see cref="Pid"/> is the server's own process (the
/// child of <c>timeout</c>), whose CPU and memory are read.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    /// <summary>Longest any server of the suite may live.</summary>
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(20);
    private const int TailLines = 40;

    private readonly Process _process;
    private readonly string _name;
    private readonly int _stopSignal;
    private readonly Queue<string> _tail = new();
    private readonly TaskCompletionSource<Match> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Regex? _readyLine;

    private ServerProcess(string name, Process process, Regex? readyLine, int stopSignal)
    {
        _name = name;
        _process = process;
        _readyLine = readyLine;
        _stopSignal = stopSignal;
    }

    public int Pid { get; private set; }

    /// <summary>
    /// Starts <paramref name="file"/>; when <paramref name="readyLine"/> is given, waits until a line
    /// of its stdout or stderr matches and returns with <see cref="ReadyMatch"/> set.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(
        string name, string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment,
        Regex? readyLine, int stopSignal, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("timeout")
        {
            RedirectStandardInput = true, // the backend exits when this pipe closes
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--kill-after=5");
        info.ArgumentList.Add(((int)Lifetime.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(file);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var server = new ServerProcess(name, process, readyLine, stopSignal);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            server.Pid = await server.WaitForChildAsync(cancellationToken);
            if (readyLine is not null)
            {
                var exited = process.WaitForExitAsync(cancellationToken);
                var done = await Task.WhenAny(server._ready.Task, exited, Task.Delay(TimeSpan.FromMinutes(2), cancellationToken));
                if (done != server._ready.Task)
                    throw new InvalidOperationException($"{name} did not become ready ({(done == exited ? "it exited" : "timeout")}):\n{server.OutputTail}");
            }
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public Match ReadyMatch => _ready.Task.Result;

    public string OutputTail
    {
        get { lock (_tail) return string.Join('\n', _tail); }
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines) _tail.Dequeue();
        }
        if (_readyLine?.Match(line) is { Success: true } match) _ready.TrySetResult(match);
    }

    private async Task<int> WaitForChildAsync(CancellationToken cancellationToken)
    {
        for (int i = 0; i < 200; i++)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{_name} exited at once with code {_process.ExitCode}:\n{OutputTail}");
            var children = ProcStat.Children(_process.Id);
            if (children.Count > 0) return children[0];
            await Task.Delay(10, cancellationToken);
        }
        throw new InvalidOperationException($"{_name}: timeout(1) started no child");
    }

    public async ValueTask DisposeAsync()
    {
        // timeout(1) passes the signal on to the server and exits with it.
        await Signals.StopAsync(_process, _stopSignal, TimeSpan.FromSeconds(15));
        _process.Dispose();
    }
}
