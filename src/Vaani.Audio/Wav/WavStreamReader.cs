namespace Vaani.Audio.Wav;

/// <summary>
/// Reads a WAV header from a stream, then yields its samples chunk by chunk in
/// <see cref="WavInfo.Format"/> (always whole frames), so uploads can be processed while they arrive.
/// </summary>
/// <remarks>
/// Same rules as <see cref="WavReader"/>. Memory is bounded: the header buffer grows only with
/// bytes actually received and never beyond <see cref="WavReadLimits.MaxHeaderBytes"/>; sample data
/// passes through a fixed 16 KiB buffer; a stream whose size is unknown (0xFFFFFFFF) fails once it
/// has delivered more than <see cref="WavReadLimits.MaxDataBytes"/>.
/// </remarks>
public sealed class WavStreamReader : IDisposable, IAsyncDisposable
{
    private const int RawBufferBytes = 16384;
    private const int HeaderReadStep = 4096;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly WavReadLimits _limits;
    private readonly byte[] _raw;
    private int _rawStart;
    private int _rawLength;
    private long _remaining; // data bytes still to take from the stream; long.MaxValue when unknown
    private long _delivered; // source data bytes taken so far
    private bool _endOfData;

    private WavStreamReader(Stream stream, bool leaveOpen, WavReadLimits limits, WavInfo info, ReadOnlySpan<byte> firstData)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _limits = limits;
        Info = info;
        _remaining = info.DeclaredDataBytes ?? long.MaxValue;
        _raw = new byte[Math.Max(RawBufferBytes, firstData.Length)];
        Take(firstData.Length);
        firstData.CopyTo(_raw);
        _rawLength = firstData.Length;
    }

    /// <summary>Header information; <see cref="WavInfo.Format"/> describes the bytes <see cref="ReadAsync"/> returns.</summary>
    public WavInfo Info { get; }

    /// <summary>True once the stream ended before the declared data size, or inside a frame.</summary>
    public bool IsTruncated { get; private set; }

    /// <summary>Reads the header from <paramref name="stream"/> up to the first sample byte.</summary>
    /// <exception cref="AudioFormatException">The header is not an acceptable WAV header.</exception>
    public static async ValueTask<WavStreamReader> OpenAsync(Stream stream, WavReadLimits? limits = null, bool leaveOpen = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        limits ??= WavReadLimits.Default;
        byte[] header = new byte[HeaderReadStep];
        int length = 0;
        while (true)
        {
            if (length + HeaderReadStep > header.Length)
                Array.Resize(ref header, Math.Max(header.Length * 2, length + HeaderReadStep));
            int n = await stream.ReadAsync(header.AsMemory(length, HeaderReadStep), cancellationToken).ConfigureAwait(false);
            length += n;
            WavInfo? info = WavHeaderParser.TryParse(header.AsSpan(0, length), endOfInput: n == 0, limits);
            if (info is not null)
            {
                ReadOnlySpan<byte> first = header.AsSpan(info.DataOffset, length - info.DataOffset);
                if (info.DeclaredDataBytes is long declared && first.Length > declared)
                    first = first[..(int)declared];
                return new WavStreamReader(stream, leaveOpen, limits, info, first);
            }
            if (length > limits.MaxHeaderBytes + 8L)
                throw new AudioFormatException($"WAV header exceeds the {limits.MaxHeaderBytes}-byte limit before the 'data' chunk");
        }
    }

    /// <summary>
    /// Reads up to <paramref name="buffer"/>.Length bytes of samples (whole frames); 0 at the end of the data.
    /// </summary>
    /// <param name="buffer">Must hold at least one frame of <see cref="WavInfo.Format"/>.</param>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int outFrame = Info.Format.BytesPerFrame;
        if (buffer.Length < outFrame)
            throw new ArgumentException($"buffer holds {buffer.Length} bytes; at least one frame ({outFrame} bytes) is needed", nameof(buffer));
        while (true)
        {
            int written = Serve(buffer.Span);
            if (written > 0 || _endOfData)
                return written;
            if (_rawStart > 0)
            {
                _raw.AsSpan(_rawStart, _rawLength).CopyTo(_raw);
                _rawStart = 0;
            }
            int want = (int)Math.Min(_raw.Length - _rawLength, _remaining);
            int n = want == 0 ? 0 : await _stream.ReadAsync(_raw.AsMemory(_rawLength, want), cancellationToken).ConfigureAwait(false);
            AfterRead(n);
        }
    }

    private int Serve(Span<byte> buffer)
    {
        int srcFrame = Info.SourceBytesPerFrame;
        int frames = Math.Min(_rawLength / srcFrame, buffer.Length / Info.Format.BytesPerFrame);
        if (frames == 0)
        {
            if (_endOfData && _rawLength > 0)
            {
                IsTruncated = true; // a partial frame at the end cannot be decoded
                _rawLength = 0;
            }
            return 0;
        }
        int written = WavSampleConverter.Convert(Info.Kind, _raw.AsSpan(_rawStart, frames * srcFrame), buffer);
        _rawStart += frames * srcFrame;
        _rawLength -= frames * srcFrame;
        return written;
    }

    private void AfterRead(int n)
    {
        if (n == 0)
        {
            _endOfData = true;
            if (_remaining is > 0 and not long.MaxValue)
                IsTruncated = true;
            return;
        }
        Take(n);
        _rawLength += n;
        if (_remaining == 0)
            _endOfData = true;
    }

    private void Take(int n)
    {
        _delivered += n;
        if (_remaining != long.MaxValue)
            _remaining -= n;
        else if (_delivered > _limits.MaxDataBytes)
            throw new AudioFormatException($"WAV data exceeds the limit of {_limits.MaxDataBytes} bytes");
        if (_remaining == 0)
            _endOfData = true;
    }

    public void Dispose()
    {
        if (!_leaveOpen)
            _stream.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_leaveOpen)
            await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
