using System.Globalization;
using System.Text;
using System.Text.Json;
using Vaani.Control.Domain;

namespace Vaani.Control.Usage;

/// <summary>Settings of a <see cref="UsageSpool"/>.</summary>
public sealed record UsageSpoolOptions
{
    /// <summary>Appends fail with <see cref="UsageSpoolFullException"/> beyond this many unacknowledged bytes.</summary>
    public long MaxBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>A fully acknowledged spool file at least this large is replaced by a fresh, empty one.</summary>
    public long CompactThresholdBytes { get; init; } = 1024 * 1024;

    /// <summary>Longest accepted line; longer (corrupt) lines are skipped.</summary>
    public int MaxLineBytes { get; init; } = 64 * 1024;
}

/// <summary>The spool cannot take more events: delivery has been failing too long.</summary>
public sealed class UsageSpoolFullException(string message) : IOException(message);

/// <summary>A run of spooled events from one file, to be acknowledged after delivery.</summary>
public sealed record SpoolBatch(IReadOnlyList<UsageEvent> Events, long Generation, long StartOffset, long EndOffset)
{
    public bool IsEmpty => EndOffset == StartOffset;
}

/// <summary>
/// The data plane's durable usage log. Each event is one JSON line appended to
/// <c>usage-&lt;generation&gt;.jsonl</c> and fsync'd before <see cref="Append"/> returns, so an event
/// counts as recorded only once it is on disk. A separate <c>checkpoint</c> file (written to a
/// temporary file, fsync'd, then renamed over the old one) holds the generation and byte offset up
/// to which events were acknowledged by the sink. After a crash everything after the checkpoint is
/// delivered again; the store's idempotent insert drops the duplicates. A torn last line (crash
/// mid-write) is cut off at open. Once every event of a file is acknowledged and the file is
/// larger than <see cref="UsageSpoolOptions.CompactThresholdBytes"/>, a new generation starts and
/// the old file is deleted, so disk use stays bounded.
/// </summary>
public sealed class UsageSpool : IDisposable
{
    private const string CheckpointName = "checkpoint";
    private readonly string _directory;
    private readonly UsageSpoolOptions _options;
    private readonly Lock _lock = new();
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FileStream _writer;
    private long _generation;
    private long _ackedOffset;
    private long _length;

    private UsageSpool(string directory, UsageSpoolOptions options, long generation, long ackedOffset, FileStream writer)
    {
        _directory = directory;
        _options = options;
        _generation = generation;
        _ackedOffset = ackedOffset;
        _writer = writer;
        _length = writer.Length;
    }

    /// <summary>Bytes appended but not yet acknowledged.</summary>
    public long PendingBytes
    {
        get { lock (_lock) return _length - _ackedOffset; }
    }

    /// <summary>The current file generation (increases at each compaction).</summary>
    public long Generation
    {
        get { lock (_lock) return _generation; }
    }

    /// <summary>Bytes cut off at open because the last line was torn.</summary>
    public long TornBytesDropped { get; private init; }

    /// <summary>Opens (creating if needed) the spool in <paramref name="directory"/>, recovering from any crash.</summary>
    public static UsageSpool Open(string directory, UsageSpoolOptions? options = null)
    {
        options ??= new UsageSpoolOptions();
        Directory.CreateDirectory(directory);
        var files = Directory.GetFiles(directory, "usage-*.jsonl")
            .Select(f => (Path: f, Gen: ParseGeneration(f)))
            .Where(f => f.Gen > 0)
            .OrderBy(f => f.Gen)
            .ToList();
        var (generation, offset) = ReadCheckpoint(directory) ?? (files.Count > 0 ? files[0].Gen : 1, 0);

        foreach (var f in files)
        {
            // Older generations were fully acknowledged before the checkpoint moved on; a newer one
            // can only be an empty file left by a crash during compaction.
            if (f.Gen < generation || (f.Gen > generation && new FileInfo(f.Path).Length == 0)) File.Delete(f.Path);
        }

        var path = FilePath(directory, generation);
        var writer = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
        var torn = TrimTornTail(writer);
        if (offset > writer.Length) offset = 0; // Inconsistent checkpoint: re-deliver all (duplicates are dropped downstream).
        writer.Seek(0, SeekOrigin.End);
        return new UsageSpool(directory, options, generation, offset, writer) { TornBytesDropped = torn };
    }

    /// <summary>Appends one event and fsyncs; when this returns the event survives a crash.</summary>
    public void Append(UsageEvent usage)
    {
        usage.Validate();
        var json = JsonSerializer.SerializeToUtf8Bytes(usage, ControlJson.Options);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        if (line.Length > _options.MaxLineBytes)
            throw new ControlException(ControlErrorCode.InvalidRequest, $"Usage event {usage.EventId} serializes to {line.Length} bytes; at most {_options.MaxLineBytes} are allowed.");
        lock (_lock)
        {
            if (_length - _ackedOffset + line.Length > _options.MaxBytes)
                throw new UsageSpoolFullException($"The usage spool holds {_length - _ackedOffset} undelivered bytes (limit {_options.MaxBytes}); usage delivery has been failing.");
            _writer.Write(line);
            _writer.Flush(flushToDisk: true);
            _length += line.Length;
        }

        Volatile.Read(ref _appended).TrySetResult();
    }

    /// <summary>Waits until something is appended or <paramref name="timeout"/> passes.</summary>
    public async Task WaitForAppendAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        var signal = Volatile.Read(ref _appended);
        if (PendingBytes == 0)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var delay = Task.Delay(timeout, time, cts.Token);
            await Task.WhenAny(signal.Task, delay);
            await cts.CancelAsync();
        }

        if (signal.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _appended, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), signal);
        }

        ct.ThrowIfCancellationRequested();
    }

    /// <summary>Reads up to <paramref name="maxEvents"/> unacknowledged events (complete lines only).</summary>
    public SpoolBatch ReadPending(int maxEvents, int maxBytes = 4 * 1024 * 1024)
    {
        long generation, start, end;
        lock (_lock)
        {
            generation = _generation;
            start = _ackedOffset;
            end = _length;
        }

        var events = new List<UsageEvent>();
        if (end == start) return new SpoolBatch(events, generation, start, start);

        using var reader = new FileStream(FilePath(_directory, generation), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        reader.Seek(start, SeekOrigin.Begin);
        var toRead = (int)Math.Min(end - start, maxBytes);
        var buffer = new byte[toRead];
        reader.ReadExactly(buffer);

        var consumed = 0;
        while (events.Count < maxEvents && consumed < buffer.Length)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', consumed);
            if (newline < 0)
            {
                // Partial line at the end of the window: a longer-than-window (corrupt) line is skipped only when it is the whole window.
                if (consumed == 0 && buffer.Length == maxBytes) consumed = buffer.Length;
                break;
            }

            var lineLength = newline - consumed;
            if (lineLength > 0 && lineLength <= _options.MaxLineBytes)
            {
                try
                {
                    var e = JsonSerializer.Deserialize<UsageEvent>(buffer.AsSpan(consumed, lineLength), ControlJson.Options);
                    if (e is not null) events.Add(e);
                }
                catch (Exception ex) when (ex is JsonException or ControlException)
                {
                    // A corrupt complete line cannot be delivered; skipping it is the only way forward.
                    SkippedCorruptLines++;
                }
            }

            consumed = newline + 1;
        }

        return new SpoolBatch(events, generation, start, start + consumed);
    }

    /// <summary>Corrupt lines skipped by <see cref="ReadPending"/> since open.</summary>
    public int SkippedCorruptLines { get; private set; }

    /// <summary>Records that <paramref name="batch"/> was delivered: the checkpoint moves past it (fsync'd), and a fully acknowledged large file is compacted.</summary>
    public void Acknowledge(SpoolBatch batch)
    {
        lock (_lock)
        {
            if (batch.Generation != _generation || batch.StartOffset != _ackedOffset || batch.EndOffset > _length)
                throw new InvalidOperationException($"Batch [{batch.StartOffset}, {batch.EndOffset}) of generation {batch.Generation} is not the next unacknowledged range ({_ackedOffset} of generation {_generation}).");
            if (batch.IsEmpty) return;
            _ackedOffset = batch.EndOffset;
            if (_ackedOffset == _length && _length >= _options.CompactThresholdBytes)
            {
                Compact();
            }
            else
            {
                WriteCheckpoint(_directory, _generation, _ackedOffset);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock) _writer.Dispose();
    }

    // Order matters for crash safety: new empty file, then checkpoint naming it, then delete the old.
    private void Compact()
    {
        var next = _generation + 1;
        var newWriter = new FileStream(FilePath(_directory, next), FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
        newWriter.Flush(flushToDisk: true);
        WriteCheckpoint(_directory, next, 0);
        var oldPath = FilePath(_directory, _generation);
        _writer.Dispose();
        _writer = newWriter;
        _generation = next;
        _ackedOffset = 0;
        _length = 0;
        File.Delete(oldPath);
    }

    private static long TrimTornTail(FileStream stream)
    {
        var length = stream.Length;
        if (length == 0) return 0;
        var keep = length;
        var buffer = new byte[4096];
        while (keep > 0)
        {
            var chunk = (int)Math.Min(buffer.Length, keep);
            stream.Seek(keep - chunk, SeekOrigin.Begin);
            stream.ReadExactly(buffer, 0, chunk);
            var lastNewline = Array.LastIndexOf(buffer, (byte)'\n', chunk - 1);
            if (lastNewline >= 0)
            {
                keep = keep - chunk + lastNewline + 1;
                break;
            }

            keep -= chunk;
        }

        if (keep == length) return 0;
        stream.SetLength(keep);
        stream.Flush(flushToDisk: true);
        return length - keep;
    }

    private static (long Generation, long Offset)? ReadCheckpoint(string directory)
    {
        var path = Path.Combine(directory, CheckpointName);
        if (!File.Exists(path)) return null;
        var parts = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var gen)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var offset) && gen > 0)
        {
            return (gen, offset);
        }

        return null; // Unreadable: start from the oldest file and re-deliver (idempotent downstream).
    }

    private static void WriteCheckpoint(string directory, long generation, long offset)
    {
        var path = Path.Combine(directory, CheckpointName);
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{generation} {offset}\n")));
            fs.Flush(flushToDisk: true);
        }

        File.Move(tmp, path, overwrite: true);
    }

    private static string FilePath(string directory, long generation)
        => Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"usage-{generation:D8}.jsonl"));

    private static long ParseGeneration(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        return long.TryParse(name.AsSpan("usage-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : 0;
    }
}
