namespace Vaani.Audio.Wav;

/// <summary>
/// Writes a WAV file incrementally. On a seekable stream the sizes are patched when
/// <see cref="CompleteAsync"/> runs; on a non-seekable stream (a socket, a pipe) they stay
/// 0xFFFFFFFF, which readers (this one, SoX, FFmpeg) take as "data runs to end of file".
/// </summary>
public sealed class WavStreamWriter : IAsyncDisposable, IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly long _start;
    private readonly byte[] _header;
    private bool _headerWritten;
    private bool _completed;

    /// <summary>Creates a writer; nothing is written until the first write or completion.</summary>
    public WavStreamWriter(Stream stream, AudioFormat format, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(format);
        WavWriter.CheckWholeFrames(format, 0);
        _stream = stream;
        _leaveOpen = leaveOpen;
        Format = format;
        _header = new byte[WavHeaderWriter.HeaderLength(format)];
        WavHeaderWriter.Write(format, null, _header);
        _start = stream.CanSeek ? stream.Position : 0;
    }

    /// <summary>Format of the data written.</summary>
    public AudioFormat Format { get; }

    /// <summary>Sample bytes written so far.</summary>
    public long DataBytes { get; private set; }

    /// <summary>Appends sample bytes (any length; the total must end on a whole frame).</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (_completed)
            throw new InvalidOperationException("the WAV file is already complete");
        await EnsureHeaderAsync(cancellationToken).ConfigureAwait(false);
        await _stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        DataBytes += data.Length;
    }

    /// <summary>Finishes the file: pads an odd data size and patches sizes when the stream is seekable.</summary>
    /// <exception cref="AudioFormatException">The data written does not end on a whole frame.</exception>
    public ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (!_completed)
            WavWriter.CheckWholeFrames(Format, DataBytes);
        return CompleteCoreAsync(cancellationToken);
    }

    private async ValueTask CompleteCoreAsync(CancellationToken cancellationToken)
    {
        if (_completed)
            return;
        await EnsureHeaderAsync(cancellationToken).ConfigureAwait(false);
        _completed = true;
        if (!_stream.CanSeek)
        {
            // Sizes stay unknown, so a pad byte would be read as a sample: write none.
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        if ((DataBytes & 1) != 0)
            await _stream.WriteAsync(new byte[1], cancellationToken).ConfigureAwait(false);
        long end = _stream.Position;
        WavHeaderWriter.PatchSizes(Format, DataBytes, _header);
        _stream.Position = _start;
        await _stream.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
        _stream.Position = end;
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask EnsureHeaderAsync(CancellationToken cancellationToken)
    {
        if (_headerWritten)
            return;
        _headerWritten = true;
        await _stream.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes the file if needed (without the whole-frame check) and releases the stream unless leaveOpen was set.</summary>
    public async ValueTask DisposeAsync()
    {
        await CompleteCoreAsync(CancellationToken.None).ConfigureAwait(false);
        if (!_leaveOpen)
            await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Completes the file if needed (synchronously) and releases the stream unless leaveOpen was set.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
