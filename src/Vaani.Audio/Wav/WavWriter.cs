namespace Vaani.Audio.Wav;

/// <summary>
/// Writes whole WAV files for linear16 (PCM), float32 (IEEE float), μ-law and A-law, any channel count.
/// Non-PCM files carry an 18-byte fmt chunk and a fact chunk, as the WAV spec asks and SoX writes.
/// </summary>
public static class WavWriter
{
    /// <summary>A complete WAV file holding <paramref name="data"/> (whole frames of <paramref name="format"/>).</summary>
    public static byte[] ToBytes(AudioFormat format, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(format);
        CheckWholeFrames(format, data.Length);
        int header = WavHeaderWriter.HeaderLength(format);
        var file = new byte[header + data.Length + (data.Length & 1)];
        WavHeaderWriter.Write(format, data.Length, file);
        data.CopyTo(file.AsSpan(header));
        return file;
    }

    /// <summary>Writes a complete WAV file to <paramref name="stream"/>.</summary>
    public static async Task WriteAsync(Stream stream, AudioFormat format, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var writer = new WavStreamWriter(stream, format, leaveOpen: true);
        await using var writerScope = writer.ConfigureAwait(false);
        await writer.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static void CheckWholeFrames(AudioFormat format, long bytes)
    {
        if (!format.IsFixedSize)
            throw new AudioFormatException($"cannot write {format} as WAV: use linear16, float32, mulaw or alaw");
        if (bytes % format.BytesPerFrame != 0)
            throw new AudioFormatException($"{bytes} bytes is not a whole number of {format} frames ({format.BytesPerFrame} bytes each)");
    }
}
