using System.Buffers;
using System.Runtime.InteropServices;
using Vaani.Audio.Containers;
using Vaani.Audio.Conversion;
using Vaani.Audio.Wav;

namespace Vaani.Audio.Decoding;

/// <summary>
/// Reads an uploaded audio input of any supported kind and returns it converted to a target
/// format: WAV and Ogg Opus are decoded in-process, other containers (MP3, FLAC, Ogg Vorbis,
/// M4A, WebM, ...) through ffmpeg; headerless audio needs its format given. Every path is bounded
/// by <see cref="DecodeLimits"/>: input bytes, decoded duration and wall time.
/// </summary>
public static class AudioInput
{
    private const int SniffBytes = 64;

    /// <param name="input">The input stream (read to its end).</param>
    /// <param name="raw">The format of headerless input, or null to detect the container.</param>
    /// <param name="target">Fixed-size format to return.</param>
    public static Task<byte[]> ReadAllAsync(Stream input, AudioFormat? raw, AudioFormat target, DecodeLimits limits, CancellationToken cancellationToken) =>
        ReadAllAsync(input, raw, target, foldNarrowband: false, limits, cancellationToken);

    /// <summary>
    /// As <see cref="ReadAllAsync(Stream, AudioFormat?, AudioFormat, DecodeLimits, CancellationToken)"/>;
    /// with <paramref name="foldNarrowband"/>, headerless and WAV input at 8 kHz going to 16 kHz is
    /// upsampled by zero insertion (<see cref="AudioConverter.FoldsNarrowband"/>). Containers
    /// decoded by ffmpeg or the Opus decoder arrive at the target rate already and are not folded.
    /// </summary>
    public static async Task<byte[]> ReadAllAsync(Stream input, AudioFormat? raw, AudioFormat target, bool foldNarrowband, DecodeLimits limits, CancellationToken cancellationToken)
    {
        if (!target.IsFixedSize) throw new ArgumentException("the target format must be a sample format", nameof(target));
        var prefix = new byte[SniffBytes];
        int got = await ReadAtLeastAsync(input, prefix, cancellationToken).ConfigureAwait(false);
        if (got == 0) throw new AudioFormatException("the input is empty (0 bytes)");
        var stream = new PrefixedStream(prefix.AsMemory(0, got), input);

        if (raw is not null)
        {
            if (!raw.IsFixedSize) throw new AudioFormatException("headerless opus is not accepted: send Ogg Opus or give a sample encoding");
            long maxBytes = Math.Min(limits.MaxInputBytes, (long)(limits.MaxDuration.TotalSeconds * raw.BytesPerSecond));
            var data = await ReadBoundedAsync(stream, maxBytes, raw, limits, cancellationToken).ConfigureAwait(false);
            return Convert(raw, data, target, foldNarrowband);
        }

        var container = ContainerSniffer.Detect(prefix.AsSpan(0, got));
        switch (container)
        {
            case AudioContainer.Wav:
                return await ReadWavAsync(stream, target, foldNarrowband, limits, cancellationToken).ConfigureAwait(false);
            case AudioContainer.OggOpus:
                return ReadOggOpus(await ReadBoundedAsync(stream, limits.MaxInputBytes, null, limits, cancellationToken).ConfigureAwait(false), target, limits);
            case AudioContainer.Raw:
                throw new AudioFormatException("the input's format was not recognised (no WAV, Ogg, FLAC, MP3, MP4 or WebM signature); for headerless audio give its encoding and sample rate");
            default:
                var decoded = await new FfmpegDecoder().DecodeAsync(stream, target.SampleRate, limits, cancellationToken).ConfigureAwait(false);
                return Convert(decoded.Format, decoded.Data, target, foldNarrowband: false);
        }
    }

    private static async Task<byte[]> ReadWavAsync(Stream stream, AudioFormat target, bool foldNarrowband, DecodeLimits limits, CancellationToken ct)
    {
        var wavLimits = new WavReadLimits { MaxDataBytes = limits.MaxInputBytes };
        var reader = await WavStreamReader.OpenAsync(stream, wavLimits, leaveOpen: true, ct).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var format = reader.Info.Format;
        if (reader.Info.DeclaredDataBytes is long declared && format.DurationOf(declared) > limits.MaxDuration)
            throw TooLong(format.DurationOf(declared), limits);
        long maxBytes = (long)(limits.MaxDuration.TotalSeconds * format.BytesPerSecond);
        var converter = new AudioConverter(format, target, foldNarrowband);
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        var buffer = new byte[64 * 1024 - (64 * 1024 % format.BytesPerFrame)];
        long total = 0;
        int n;
        while ((n = await reader.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            total += n;
            if (total > maxBytes) throw TooLong(format.DurationOf(total), limits);
            converter.Convert(buffer.AsSpan(0, n), output);
        }
        converter.Flush(output);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] ReadOggOpus(byte[] data, AudioFormat target, DecodeLimits limits)
    {
        int rate = target.SampleRate is 8000 or 12000 or 16000 or 24000 or 48000 ? target.SampleRate : 48000;
        using var reader = new OggOpusReader(new MemoryStream(data, writable: false), new OggOpusReaderOptions
        {
            OutputSampleRate = rate,
            OutputChannels = 1,
            MaxDuration = limits.MaxDuration,
            MaxInputBytes = limits.MaxInputBytes,
        });
        var samples = reader.ReadToEnd();
        return Convert(AudioFormat.Linear16(rate), MemoryMarshal.AsBytes(samples.AsSpan()).ToArray(), target, foldNarrowband: false);
    }

    private static byte[] Convert(AudioFormat from, byte[] data, AudioFormat to, bool foldNarrowband)
    {
        if (from == to) return data;
        var converter = new AudioConverter(from, to, foldNarrowband);
        var output = new ArrayBufferWriter<byte>(Math.Max(1024, (int)Math.Min(int.MaxValue / 2, (long)data.Length * to.BytesPerSecond / Math.Max(1, from.BytesPerSecond) + 1024)));
        converter.Convert(data, output);
        converter.Flush(output);
        return output.WrittenSpan.ToArray();
    }

    private static async Task<byte[]> ReadBoundedAsync(Stream stream, long maxBytes, AudioFormat? format, DecodeLimits limits, CancellationToken ct)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (ms.Length + n > maxBytes)
            {
                if (format is not null && ms.Length + n <= limits.MaxInputBytes)
                    throw TooLong(format.DurationOf(ms.Length + n), limits);
                throw new AudioFormatException($"the input is larger than the limit of {limits.MaxInputBytes} bytes");
            }
            ms.Write(buffer, 0, n);
        }
        if (format is not null && ms.Length % format.BytesPerFrame != 0)
            ms.SetLength(ms.Length - ms.Length % format.BytesPerFrame); // a trailing partial frame carries no sample
        return ms.ToArray();
    }

    private static AudioFormatException TooLong(TimeSpan duration, DecodeLimits limits) =>
        new($"the audio is {duration.TotalSeconds:0} s long (at least); the limit is {limits.MaxDuration.TotalSeconds:0} s");

    private static async Task<int> ReadAtLeastAsync(Stream input, Memory<byte> buffer, CancellationToken ct)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await input.ReadAsync(buffer[total..], ct).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>A read-only stream that yields already-read bytes, then the rest of the source.</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_prefix.IsEmpty) return rest.Read(buffer);
            int n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_prefix.IsEmpty) return await rest.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            int n = Math.Min(buffer.Length, _prefix.Length);
            _prefix[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
