using System.Buffers.Binary;
using System.Text;

namespace Vaani.Audio.Wav;

/// <summary>
/// Parses a RIFF/WAVE (or RF64) header from the bytes read so far, up to the start of the data
/// chunk. Pure and allocation-free apart from the result, so the in-memory and streaming readers
/// share it: the streaming reader calls it again with more bytes while it answers "need more".
/// </summary>
internal static class WavHeaderParser
{
    private const uint UnknownSize = 0xFFFFFFFF;
    // KSDATAFORMAT_SUBTYPE_* GUIDs share these 14 bytes after the 2-byte format tag.
    private static ReadOnlySpan<byte> SubformatSuffix => [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

    /// <summary>
    /// Returns the header when the data chunk has been reached; null when more bytes are needed
    /// and <paramref name="endOfInput"/> is false.
    /// </summary>
    /// <exception cref="AudioFormatException">The bytes are not an acceptable WAV header.</exception>
    public static WavInfo? TryParse(ReadOnlySpan<byte> data, bool endOfInput, WavReadLimits limits)
    {
        if (data.Length < 12)
            return NeedMore(endOfInput, data.Length == 0 ? "the file is empty" : $"the file is only {data.Length} bytes: a WAV header needs at least 12");

        ReadOnlySpan<byte> riff = data[..4];
        bool rf64 = riff.SequenceEqual("RF64"u8);
        if (riff.SequenceEqual("RIFX"u8))
            throw new AudioFormatException("big-endian WAV (RIFX) is not supported");
        if (!rf64 && !riff.SequenceEqual("RIFF"u8))
            throw new AudioFormatException($"not a WAV file: expected 'RIFF' at offset 0, found {Describe(riff)}");
        if (!data.Slice(8, 4).SequenceEqual("WAVE"u8))
            throw new AudioFormatException($"not a WAV file: RIFF form type is {Describe(data.Slice(8, 4))}, expected 'WAVE'");

        int pos = 12;
        FmtChunk? fmt = null;
        long? ds64DataSize = null;
        while (true)
        {
            if (pos + 8 > data.Length)
                return NeedMore(endOfInput, fmt is null ? "the file ends before a 'fmt ' chunk" : "the file ends before a 'data' chunk");
            ReadOnlySpan<byte> id = data.Slice(pos, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(data[(pos + 4)..]);

            if (id.SequenceEqual("data"u8))
            {
                if (fmt is null)
                    throw new AudioFormatException("invalid WAV: the 'data' chunk comes before the 'fmt ' chunk");
                long? declared = size == UnknownSize ? ds64DataSize : size;
                if (declared > limits.MaxDataBytes)
                    throw new AudioFormatException($"WAV data chunk declares {declared} bytes; the limit is {limits.MaxDataBytes} bytes");
                return fmt.Value.ToInfo(declared, pos + 8);
            }

            long end = pos + 8L + size + (size & 1); // chunks are padded to an even size
            if (end > limits.MaxHeaderBytes)
                throw new AudioFormatException($"WAV chunk {Describe(id)} of {size} bytes at offset {pos} runs past the {limits.MaxHeaderBytes}-byte limit for headers before the 'data' chunk");
            if (pos + 8L + size > data.Length)
                return NeedMore(endOfInput, $"the file ends inside the {Describe(id)} chunk (declared {size} bytes at offset {pos})");

            ReadOnlySpan<byte> body = data.Slice(pos + 8, (int)size);
            if (id.SequenceEqual("fmt "u8))
            {
                if (fmt is not null)
                    throw new AudioFormatException("invalid WAV: more than one 'fmt ' chunk");
                fmt = ParseFmt(body);
            }
            else if (rf64 && id.SequenceEqual("ds64"u8))
            {
                if (size < 24)
                    throw new AudioFormatException($"invalid RF64: 'ds64' chunk is {size} bytes, at least 24 are needed");
                ds64DataSize = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(body[8..]), long.MaxValue);
            }
            pos = (int)Math.Min(end, data.Length);
            if (end > data.Length)
                return NeedMore(endOfInput, $"the file ends in the padding of the {Describe(id)} chunk");
        }
    }

    private static WavInfo? NeedMore(bool endOfInput, string what) =>
        endOfInput ? throw new AudioFormatException($"truncated WAV: {what}") : null;

    private static FmtChunk ParseFmt(ReadOnlySpan<byte> b)
    {
        if (b.Length < 16)
            throw new AudioFormatException($"invalid WAV: 'fmt ' chunk is {b.Length} bytes, at least 16 are needed");
        int tag = BinaryPrimitives.ReadUInt16LittleEndian(b);
        int channels = BinaryPrimitives.ReadUInt16LittleEndian(b[2..]);
        long rate = BinaryPrimitives.ReadUInt32LittleEndian(b[4..]);
        int blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(b[12..]);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(b[14..]);
        bool extensible = tag == 0xFFFE;
        if (extensible)
        {
            if (b.Length < 40)
                throw new AudioFormatException($"invalid WAV: WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is {b.Length} bytes, 40 are needed");
            ReadOnlySpan<byte> guid = b.Slice(24, 16);
            if (!guid[2..].SequenceEqual(SubformatSuffix))
                throw new AudioFormatException($"WAV sub-format GUID {Convert.ToHexString(guid)} is not supported");
            tag = BinaryPrimitives.ReadUInt16LittleEndian(guid);
        }

        WavSampleKind kind = (tag, bits) switch
        {
            (1, 8) => WavSampleKind.U8,
            (1, 16) => WavSampleKind.S16,
            (1, 24) => WavSampleKind.S24,
            (1, 32) => WavSampleKind.S32,
            (3, 32) => WavSampleKind.F32,
            (3, 64) => WavSampleKind.F64,
            (6, 8) => WavSampleKind.Alaw,
            (7, 8) => WavSampleKind.Mulaw,
            (1 or 3 or 6 or 7, _) => throw new AudioFormatException($"WAV format tag {tag} with {bits} bits per sample is not supported"),
            _ => throw new AudioFormatException($"WAV format tag 0x{tag:X4} is not supported: use PCM (1), IEEE float (3), A-law (6) or μ-law (7)"),
        };
        if (channels < 1 || channels > AudioFormat.MaxChannels)
            throw new AudioFormatException($"WAV has {channels} channels; 1 to {AudioFormat.MaxChannels} are supported");
        if (rate < 8000 || rate > 48000)
            throw new AudioFormatException($"WAV sample rate {rate} Hz is out of range: it must be between 8000 and 48000 Hz");
        int frameBytes = WavSampleConverter.SourceBytes(kind) * channels;
        if (blockAlign != frameBytes)
            throw new AudioFormatException($"invalid WAV: block_align is {blockAlign} but {channels} channels of {bits}-bit samples need {frameBytes}");
        return new FmtChunk(kind, tag, extensible, bits, channels, (int)rate, frameBytes);
    }

    private static string Describe(ReadOnlySpan<byte> id)
    {
        foreach (byte c in id)
        {
            if (c < 0x20 || c > 0x7E)
                return "bytes 0x" + Convert.ToHexString(id);
        }
        return "'" + Encoding.ASCII.GetString(id) + "'";
    }

    private readonly record struct FmtChunk(WavSampleKind Kind, int Tag, bool Extensible, int Bits, int Channels, int Rate, int FrameBytes)
    {
        public WavInfo ToInfo(long? declared, int dataOffset) => new()
        {
            Format = new AudioFormat(WavSampleConverter.OutputEncoding(Kind), Rate, Channels),
            FormatTag = Tag,
            IsExtensible = Extensible,
            SourceBitsPerSample = Bits,
            SourceBytesPerFrame = FrameBytes,
            DeclaredDataBytes = declared,
            DataOffset = dataOffset,
            Kind = Kind,
        };
    }
}
