namespace Vaani.Audio.Containers;

/// <summary>
/// Packs packets of one logical stream into Ogg pages (RFC 3533) and writes them to a stream.
/// Packets accumulate on a pending page; it is written when full, on <see cref="FlushPage"/>,
/// or as the end-of-stream page on <see cref="Complete"/>. Packets longer than a page continue
/// on the next one.
/// </summary>
internal sealed class OggPageWriter
{
    private readonly Stream _output;
    private readonly uint _serial;
    private readonly List<byte> _lacing = new(OggPage.MaxSegments);
    private readonly MemoryStream _body = new();
    private uint _sequence;
    private long _pageGranule = OggPage.NoGranule; // last packet completed on the pending page
    private long _lastGranule;                      // last packet completed on any page
    private bool _continued;
    private bool _completed;

    public OggPageWriter(Stream output, uint serial)
    {
        _output = output;
        _serial = serial;
    }

    /// <summary>Pages written so far.</summary>
    public uint PagesWritten => _sequence;

    /// <summary>
    /// Appends a packet whose last sample has granule position <paramref name="granulePosition"/>.
    /// </summary>
    public void WritePacket(ReadOnlySpan<byte> packet, long granulePosition)
    {
        if (_completed)
            throw new InvalidOperationException("the Ogg stream is already complete");
        int offset = 0;
        bool started = false;
        while (true)
        {
            if (_lacing.Count == OggPage.MaxSegments)
            {
                WritePage(OggPageFlags.None);
                // Only a packet already begun on the previous page makes the new one a continuation.
                _continued = started;
            }
            started = true;
            int chunk = Math.Min(255, packet.Length - offset);
            _lacing.Add((byte)chunk);
            _body.Write(packet.Slice(offset, chunk));
            offset += chunk;
            // A lacing value below 255 ends the packet; a packet of exact multiple of 255 ends with a 0.
            if (chunk < 255)
                break;
        }
        _pageGranule = _lastGranule = granulePosition;
    }

    /// <summary>Writes the pending page, if any, so that everything written so far is on the stream.</summary>
    public void FlushPage()
    {
        if (_lacing.Count > 0)
            WritePage(OggPageFlags.None);
        _output.Flush();
    }

    /// <summary>Writes the pending packets as the end-of-stream page.</summary>
    public void Complete()
    {
        if (_completed)
            return;
        // An empty end-of-stream page is legal Ogg; it only occurs if the caller flushed right before.
        WritePage(OggPageFlags.EndOfStream);
        _completed = true;
        _output.Flush();
    }

    private void WritePage(OggPageFlags flags)
    {
        if (_sequence == 0)
            flags |= OggPageFlags.BeginOfStream;
        if (_continued)
            flags |= OggPageFlags.Continued;
        var page = new OggPage
        {
            Flags = flags,
            // RFC 3533: the granule of the last packet that ends on the page, -1 if none does.
            // An empty (end-of-stream only) page repeats the last position.
            GranulePosition = _lacing.Count == 0 ? _lastGranule : _pageGranule,
            Serial = _serial,
            Sequence = _sequence++,
            Lacing = [.. _lacing],
            Body = _body.ToArray(),
        };
        _output.Write(page.ToBytes());
        _lacing.Clear();
        _body.SetLength(0);
        _continued = false;
        _pageGranule = OggPage.NoGranule;
    }
}
