using System.Diagnostics;

namespace Vaani.Workers.Supervision;

/// <summary>Drains a child's stderr (so it never blocks on a full pipe) keeping only the last lines.</summary>
internal sealed class StderrTail
{
    private const int MaxLines = 20;
    private const int MaxLineLength = 500;
    private readonly Queue<string> _lines = new();

    public StderrTail(Process process) => Completion = Task.Run(() => DrainAsync(process.StandardError));

    public Task Completion { get; }

    public IReadOnlyList<string> Snapshot()
    {
        lock (_lines)
            return _lines.ToList();
    }

    private async Task DrainAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_lines)
                {
                    _lines.Enqueue(line.Length > MaxLineLength ? line[..MaxLineLength] : line);
                    if (_lines.Count > MaxLines)
                        _lines.Dequeue();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}
