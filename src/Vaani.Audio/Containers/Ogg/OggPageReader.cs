using System.Buffers.Binary;

namespace Vaani.Audio.Containers;

/// <summary>
/// Reads Ogg pages (RFC 3533) from a stream, checking the capture pattern, version and CRC of
/// each. Strict by design: uploaded files must start with a page, and any damage is an error
/// rather than a silent resync.
/// </summary>
internal sealed class OggPageReader
{
    private readonly Stream _input;
    private readonly long _maxInputBytes;
    private readonly byte[] _header = new byte[OggPage.HeaderSize];

    public OggPageReader(Stream input, long maxInputBytes)
    {
        _input = input;
        _maxInputBytes = maxInputBytes;
    }

    /// <summary>Bytes consumed so far.</summary>
    public long Position { get; private set; }

    /// <summary>Pages read so far.</summary>
    public long PageCount { get; private set; }

    /// <summary>Reads the next page; null at a clean end of input (between pages).</summary>
    public OggPage? ReadPage()
    {
        int got = _input.ReadAtLeast(_header, _header.Length, throwOnEndOfStream: false);
        if (got == 0)
            return null;
        if (got < _header.Length)
            throw Truncated();
        if (!_header.AsSpan(0, 4).SequenceEqual(OggPage.Capture))
            throw new AudioFormatException(PageCount == 0
                ? "input is not an Ogg stream: it does not start with 'OggS'"
                : $"Ogg stream is corrupt: no page at byte {Position}");
        if (_header[4] != 0)
            throw new AudioFormatException($"Ogg page at byte {Position} has unsupported version {_header[4]}");
        if ((_header[5] & ~0x07) != 0)
            throw new AudioFormatException($"Ogg page at byte {Position} has invalid header flags 0x{_header[5]:x2}");

        int segments = _header[26];
        var lacing = new byte[segments];
        if (_input.ReadAtLeast(lacing, segments, throwOnEndOfStream: false) < segments)
            throw Truncated();
        int bodyLength = 0;
        foreach (byte l in lacing)
            bodyLength += l;
        var body = new byte[bodyLength];
        if (_input.ReadAtLeast(body, bodyLength, throwOnEndOfStream: false) < bodyLength)
            throw Truncated();

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(22));
        _header.AsSpan(22, 4).Clear();
        uint crc = OggCrc.Update(OggCrc.Update(OggCrc.Update(0, _header), lacing), body);
        if (crc != stored)
            throw new AudioFormatException($"Ogg page {PageCount} at byte {Position} is corrupt: CRC mismatch (stored 0x{stored:x8}, computed 0x{crc:x8})");

        var page = new OggPage
        {
            Flags = (OggPageFlags)_header[5],
            GranulePosition = BinaryPrimitives.ReadInt64LittleEndian(_header.AsSpan(6)),
            Serial = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(14)),
            Sequence = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(18)),
            Lacing = lacing,
            Body = body,
        };
        Position += OggPage.HeaderSize + segments + bodyLength;
        PageCount++;
        if (Position > _maxInputBytes)
            throw new AudioFormatException($"Ogg input exceeds the limit of {_maxInputBytes} bytes");
        return page;
    }

    private AudioFormatException Truncated() =>
        new($"Ogg stream is truncated: page {PageCount} at byte {Position} is incomplete");
}
