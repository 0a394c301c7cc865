namespace Vaani.Audio.Containers;

/// <summary>
/// Rebuilds packets from the lacing values of consecutive pages of one logical stream
/// (RFC 3533 §5). A packet ends at the first lacing value below 255 and may span pages.
/// Packets above the size limit are an error, except in discard mode where only their
/// first bytes are kept (used to skip arbitrarily large comment headers without buffering them).
/// </summary>
internal sealed class OggPacketAssembler
{
    private const int DiscardKeepBytes = 16;

    private readonly MemoryStream _partial = new();
    private long _partialLength;
    private bool _hasPartial;

    /// <summary>Largest packet kept in memory.</summary>
    public required int MaxPacketBytes { get; init; }

    /// <summary>When set, packets are truncated to their first 16 bytes instead of being buffered whole.</summary>
    public bool Discard { get; set; }

    /// <summary>True if a packet is waiting for its continuation on the next page.</summary>
    public bool HasPartialPacket => _hasPartial;

    /// <summary>Adds the packets that end on <paramref name="page"/> to <paramref name="completed"/>.</summary>
    public void Feed(OggPage page, List<byte[]> completed)
    {
        if (page.IsContinued && !_hasPartial)
            throw new AudioFormatException($"Ogg page {page.Sequence} continues a packet that never started");
        if (!page.IsContinued && _hasPartial)
            throw new AudioFormatException($"Ogg page {page.Sequence} does not continue the packet left unfinished on the previous page");

        int offset = 0;
        foreach (byte lace in page.Lacing)
        {
            Append(page.Body.AsSpan(offset, lace), page.Sequence);
            offset += lace;
            _hasPartial = true;
            if (lace < 255)
            {
                completed.Add(_partial.ToArray());
                _partial.SetLength(0);
                _partialLength = 0;
                _hasPartial = false;
            }
        }
    }

    private void Append(ReadOnlySpan<byte> data, uint sequence)
    {
        _partialLength += data.Length;
        if (Discard)
        {
            int keep = (int)Math.Max(0, Math.Min(data.Length, DiscardKeepBytes - _partial.Length));
            _partial.Write(data[..keep]);
            return;
        }
        if (_partialLength > MaxPacketBytes)
            throw new AudioFormatException($"Ogg packet ending after page {sequence} exceeds the limit of {MaxPacketBytes} bytes");
        _partial.Write(data);
    }
}
