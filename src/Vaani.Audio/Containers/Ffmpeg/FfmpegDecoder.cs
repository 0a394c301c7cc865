using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Vaani.Audio.Containers;

/// <summary>
/// Decodes uploaded audio in any common container (MP3, FLAC, Ogg Vorbis/Opus, M4A/AAC,
/// WebM/Matroska, WAV, …) to mono linear16 by running <c>ffmpeg</c> as a child process.
/// Input is piped through stdin, except MP4-family files, which go through a private temporary
/// file because their index ("moov") may sit at the end and the demuxer must seek back.
/// Only audio demuxers on an allow-list are enabled and only the pipe/file protocol, so input
/// can never make ffmpeg open playlists, URLs or other local files. Every <see cref="DecodeLimits"/>
/// bound is enforced while streaming; on any failure, timeout or cancellation the process is
/// killed and reaped before the call returns.
/// </summary>
public sealed partial class FfmpegDecoder
{
    /// <summary>Demuxers ffmpeg may use; anything else (hls, concat, image formats, …) is refused.</summary>
    internal const string DemuxerAllowList = "mp3,flac,ogg,mov,matroska,wav,w64,aac,aiff,caf,amr";

    private const int MaxErrorChars = 2048;
    private const int ChunkBytes = 64 * 1024;

    private readonly string _ffmpegPath;

    /// <param name="ffmpegPath">ffmpeg executable: a path, or a name looked up on PATH.</param>
    public FfmpegDecoder(string ffmpegPath = "ffmpeg") => _ffmpegPath = ffmpegPath;

    /// <summary>Called with the process id once ffmpeg has started (observability and tests).</summary>
    internal Action<int>? ProcessStarted { get; set; }

    /// <summary>Decodes <paramref name="input"/> to mono linear16 at <paramref name="sampleRate"/> Hz.</summary>
    /// <exception cref="AudioFormatException">The input is not decodable audio, or exceeds a limit; the message says which.</exception>
    /// <exception cref="TimeoutException">Decoding took longer than <see cref="DecodeLimits.Timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<DecodedAudio> DecodeAsync(Stream input, int sampleRate, DecodeLimits? limits = null, CancellationToken cancellationToken = default)
    {
        limits ??= new DecodeLimits();
        limits.Validate();
        var format = AudioFormat.Linear16(sampleRate);

        var header = new byte[ContainerSniffer.HeaderLength];
        int headerLength = await input.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (headerLength == 0)
            throw new AudioFormatException("audio input is empty");
        var container = ContainerSniffer.Detect(header.AsSpan(0, headerLength));

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limits.Timeout);
        try
        {
            FileStream? spool = null;
            try
            {
                if (container == AudioContainer.Mp4)
                    spool = await SpoolAsync(header.AsMemory(0, headerLength), input, limits.MaxInputBytes, deadline.Token).ConfigureAwait(false);
                byte[] data = await RunAsync(spool?.Name, header.AsMemory(0, headerLength), input, sampleRate, limits, deadline.Token).ConfigureAwait(false);
                return new DecodedAudio(format, container, data);
            }
            finally
            {
                if (spool is not null)
                    await spool.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"decoding the audio did not finish within the limit of {limits.Timeout.TotalSeconds:0.###} s");
        }
    }

    private async Task<byte[]> RunAsync(string? path, ReadOnlyMemory<byte> header, Stream input, int sampleRate, DecodeLimits limits, CancellationToken token)
    {
        var psi = new ProcessStartInfo(_ffmpegPath)
        {
            RedirectStandardInput = path is null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // -t stops ffmpeg a little past the limit so that "longer than the limit" stays detectable.
        string guard = (limits.MaxDuration + TimeSpan.FromSeconds(1)).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        foreach (string arg in (string[])[
            "-hide_banner", "-loglevel", "error", "-nostdin",
            "-protocol_whitelist", path is null ? "pipe" : "file",
            "-format_whitelist", DemuxerAllowList,
            "-i", path ?? "pipe:0",
            "-map", "0:a:0", "-t", guard,
            "-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1", "-ar", sampleRate.ToString(CultureInfo.InvariantCulture),
            "pipe:1"])
            psi.ArgumentList.Add(arg);

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"ffmpeg could not be started from '{_ffmpegPath}': {e.Message}", e);
        }
        ProcessStarted?.Invoke(process.Id);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        // Kill on cancellation immediately, even while a read or write is blocked.
        var killOnCancel = stop.Token.Register(() => Kill(process));
        await using var killOnCancelScope = killOnCancel.ConfigureAwait(false);
        Task<string> stderr = ReadErrorsAsync(process.StandardError.BaseStream);
        Task stdin = path is null ? FeedAsync(header, input, process, limits.MaxInputBytes, stop.Token) : Task.CompletedTask;
        long maxBytes = (long)(limits.MaxDuration.TotalSeconds * sampleRate) * 2;
        try
        {
            byte[] data = await ReadOutputAsync(process.StandardOutput.BaseStream, maxBytes, limits.MaxDuration, stop.Token).ConfigureAwait(false);
            await process.WaitForExitAsync(stop.Token).ConfigureAwait(false);
            await stdin.ConfigureAwait(false); // surfaces "input too large", which also ends ffmpeg early
            if (process.ExitCode != 0)
                throw new AudioFormatException($"audio could not be decoded: {Describe(await stderr.ConfigureAwait(false), path)}");
            if (data.Length == 0)
                throw new AudioFormatException("audio could not be decoded: the input contains no audio samples");
            return data;
        }
        catch (Exception)
        {
            Kill(process);
            await stop.CancelAsync().ConfigureAwait(false);
            // If the feeder refused an oversized input, that is the cause; anything it hit after the kill is not.
            try { await stdin.ConfigureAwait(false); }
            catch (AudioFormatException) { throw; }
            catch (Exception) { /* a consequence of the kill */ }
            throw;
        }
        finally
        {
            // Reap the child before returning: no zombie, no orphan.
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task FeedAsync(ReadOnlyMemory<byte> header, Stream input, Process process, long maxInputBytes, CancellationToken token)
    {
        Stream stdin = process.StandardInput.BaseStream;
        try
        {
            await stdin.WriteAsync(header, token).ConfigureAwait(false);
            long total = header.Length;
            var buffer = new byte[ChunkBytes];
            int n;
            while ((n = await input.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
            {
                total += n;
                if (total > maxInputBytes)
                {
                    Kill(process); // stop decoding now rather than after the bytes already sent
                    throw new AudioFormatException($"audio input is larger than the limit of {maxInputBytes} bytes");
                }
                await stdin.WriteAsync(buffer.AsMemory(0, n), token).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // ffmpeg closed its stdin: it has read all it needs (e.g. stopped at -t) or failed;
            // its exit code and stderr tell which.
        }
        finally
        {
            try { await stdin.DisposeAsync().ConfigureAwait(false); } catch (IOException) { }
        }
    }

    private static async Task<byte[]> ReadOutputAsync(Stream stdout, long maxBytes, TimeSpan maxDuration, CancellationToken token)
    {
        using var output = new MemoryStream();
        var buffer = new byte[ChunkBytes];
        int n;
        while ((n = await stdout.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
        {
            if (output.Length + n > maxBytes)
                throw new AudioFormatException($"audio is longer than the limit of {maxDuration.TotalSeconds:0.###} s");
            output.Write(buffer, 0, n);
        }
        // An odd trailing byte cannot be a sample; ffmpeg only emits one if killed mid-write.
        return output.Length % 2 == 0 ? output.ToArray() : output.ToArray()[..^1];
    }

    private static async Task<string> ReadErrorsAsync(Stream stderr)
    {
        // Keep the start of stderr only, but drain all of it so ffmpeg never blocks on a full pipe.
        var kept = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await stderr.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            if (kept.Length < MaxErrorChars)
                kept.Write(buffer, 0, (int)Math.Min(n, MaxErrorChars - kept.Length));
        }
        return Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length);
    }

    private static async Task<FileStream> SpoolAsync(ReadOnlyMemory<byte> header, Stream input, long maxInputBytes, CancellationToken token)
    {
        string path = Path.Combine(Path.GetTempPath(), $"vaani-decode-{Guid.NewGuid():N}.bin");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
        };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // uploads are private
        var file = new FileStream(path, options);
        try
        {
            await file.WriteAsync(header, token).ConfigureAwait(false);
            long total = header.Length;
            var buffer = new byte[ChunkBytes];
            int n;
            while ((n = await input.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
            {
                total += n;
                if (total > maxInputBytes)
                    throw new AudioFormatException($"audio input is larger than the limit of {maxInputBytes} bytes");
                await file.WriteAsync(buffer.AsMemory(0, n), token).ConfigureAwait(false);
            }
            await file.FlushAsync(token).ConfigureAwait(false);
            return file;
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { /* already exited */ }
        catch (Win32Exception) { /* exiting concurrently */ }
    }

    /// <summary>ffmpeg's reason, without internal addresses or the server's temporary path.</summary>
    private static string Describe(string stderr, string? path)
    {
        string text = path is null ? stderr : stderr.Replace(path, "input", StringComparison.Ordinal);
        text = text.Replace("pipe:0", "input", StringComparison.Ordinal);
        text = ContextPrefix().Replace(text, "$1: ");
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "ffmpeg failed without a reason" : string.Join("; ", lines.Distinct().TakeLast(3));
    }

    [GeneratedRegex(@"\[([\w,]+) @ 0x[0-9a-fA-F]+\] ")]
    private static partial Regex ContextPrefix();
}
