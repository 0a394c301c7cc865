using System.Buffers.Binary;

namespace Vaani.Audio.Containers;

/// <summary>Header-type flags of an Ogg page (RFC 3533 §6).</summary>
[Flags]
internal enum OggPageFlags : byte
{
    None = 0,
    /// <summary>The page starts with the rest of a packet begun on an earlier page.</summary>
    Continued = 0x01,
    /// <summary>First page of a logical stream.</summary>
    BeginOfStream = 0x02,
    /// <summary>Last page of a logical stream.</summary>
    EndOfStream = 0x04,
}

/// <summary>One parsed Ogg page: header fields, lacing values and body.</summary>
internal sealed class OggPage
{
    /// <summary>"OggS" capture pattern.</summary>
    public static ReadOnlySpan<byte> Capture => "OggS"u8;

    public const int HeaderSize = 27;
    public const int MaxSegments = 255;
    /// <summary>Largest possible page: full header, 255 lacing values, 255 × 255 body bytes.</summary>
    public const int MaxPageSize = HeaderSize + MaxSegments + MaxSegments * 255;

    /// <summary>Granule position meaning "no packet ends on this page".</summary>
    public const long NoGranule = -1;

    public required OggPageFlags Flags { get; init; }
    public required long GranulePosition { get; init; }
    public required uint Serial { get; init; }
    public required uint Sequence { get; init; }
    public required byte[] Lacing { get; init; }
    public required byte[] Body { get; init; }

    public bool IsContinued => (Flags & OggPageFlags.Continued) != 0;
    public bool IsBeginOfStream => (Flags & OggPageFlags.BeginOfStream) != 0;
    public bool IsEndOfStream => (Flags & OggPageFlags.EndOfStream) != 0;

    /// <summary>Serializes the page with its checksum.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[HeaderSize + Lacing.Length + Body.Length];
        Capture.CopyTo(bytes);
        bytes[4] = 0; // stream structure version
        bytes[5] = (byte)Flags;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(6), GranulePosition);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(14), Serial);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(18), Sequence);
        // bytes 22..25 (checksum) stay zero while the CRC is computed.
        bytes[26] = (byte)Lacing.Length;
        Lacing.CopyTo(bytes.AsSpan(HeaderSize));
        Body.CopyTo(bytes.AsSpan(HeaderSize + Lacing.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(22), OggCrc.Update(0, bytes));
        return bytes;
    }
}
