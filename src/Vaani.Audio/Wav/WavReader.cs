namespace Vaani.Audio.Wav;

/// <summary>
/// Reads whole WAV files: PCM 8/16/24/32-bit, IEEE float 32/64, A-law, μ-law, plain or
/// WAVE_FORMAT_EXTENSIBLE. See <see cref="WavInfo.Format"/> for which samples are converted.
/// </summary>
/// <remarks>
/// Unknown chunks (LIST, fact, ...) are skipped, respecting the even-size padding. A data size of
/// 0xFFFFFFFF (written by streaming writers) means "to the end of the file". A data chunk that
/// declares more than the file holds is read as far as the file goes and reported through
/// <see cref="WavAudio.IsTruncated"/>, as SoX and FFmpeg do; a trailing partial frame is dropped.
/// Everything else that is wrong raises <see cref="AudioFormatException"/> saying what was wrong.
/// </remarks>
public static class WavReader
{
    /// <summary>Reads a WAV file held in memory.</summary>
    public static WavAudio Read(ReadOnlySpan<byte> file, WavReadLimits? limits = null)
    {
        limits ??= WavReadLimits.Default;
        WavInfo info = WavHeaderParser.TryParse(file, endOfInput: true, limits)!;
        ReadOnlySpan<byte> data = file[info.DataOffset..];
        bool truncated = false;
        if (info.DeclaredDataBytes is long declared)
        {
            if (declared <= data.Length)
                data = data[..(int)declared];
            else
                truncated = true;
        }
        if (data.Length > limits.MaxDataBytes)
            throw new AudioFormatException($"WAV data is {data.Length} bytes; the limit is {limits.MaxDataBytes} bytes");
        int frameBytes = info.SourceBytesPerFrame;
        data = data[..(data.Length - (data.Length % frameBytes))];
        var output = new byte[WavSampleConverter.OutputBytes(info.Kind, data.Length)];
        WavSampleConverter.Convert(info.Kind, data, output);
        return new WavAudio(info, output, truncated);
    }

    /// <summary>Reads a whole WAV stream into memory (bounded by <paramref name="limits"/>).</summary>
    public static async Task<WavAudio> ReadAsync(Stream stream, WavReadLimits? limits = null, CancellationToken cancellationToken = default)
    {
        WavStreamReader reader = await WavStreamReader.OpenAsync(stream, limits, leaveOpen: true, cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int n;
        while ((n = await reader.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            buffer.Write(chunk, 0, n);
        return new WavAudio(reader.Info, buffer.ToArray(), reader.IsTruncated);
    }
}
