using Vaani.Audio.Opus;

namespace Vaani.Audio.Containers;

/// <summary>
/// Decodes an Ogg Opus stream (RFC 7845) to interleaved linear16 PCM at a chosen Opus rate.
/// Validates every page's CRC and sequence, parses OpusHead, skips OpusTags without buffering
/// it, applies output gain, pre-skip and end trimming from the final granule position, and
/// refuses damaged or truncated input and anything over the configured limits with an
/// <see cref="AudioFormatException"/>. Pulls from the input as output is read, so memory stays
/// bounded by one page and one packet. Stops at the first end-of-stream page (chained streams
/// are not followed); pages of other multiplexed logical streams are skipped. Not thread-safe.
/// </summary>
public sealed class OggOpusReader : IDisposable
{
    private readonly OggPageReader _pages;
    private readonly OggPacketAssembler _assembler;
    private readonly OpusDecoder _decoder;
    private readonly uint _serial;
    private readonly int _scale;                   // 48 kHz clock ticks per output sample
    private readonly long _maxSamples;             // per channel, output rate
    private readonly Queue<(byte[] Packet, long Start48)> _queue = new();
    private readonly List<byte[]> _completed = [];
    private readonly short[] _decoded;
    private uint _lastSequence;
    private long _pos48;                            // clock position after the last queued packet
    private long _windowEnd48 = long.MaxValue;     // end trimming, known from the end-of-stream page
    private bool _firstAudioPage = true;
    private bool _endOfStream;
    private int _decodedOffset;                     // interleaved index of the next sample to hand out
    private int _decodedLength;                     // interleaved samples in _decoded
    private long _outputSamples;                    // per channel

    /// <summary>Reads and validates the headers; audio is decoded as <see cref="Read"/> is called.</summary>
    /// <param name="input">Ogg Opus bytes; not disposed by the reader.</param>
    /// <param name="options">Output format and limits.</param>
    public OggOpusReader(Stream input, OggOpusReaderOptions? options = null)
    {
        options ??= new OggOpusReaderOptions();
        if (!OpusRates.IsSupported(options.OutputSampleRate))
            throw new AudioFormatException($"output sample_rate {options.OutputSampleRate} is not valid for opus: use 8000, 12000, 16000, 24000 or 48000");
        _pages = new OggPageReader(input, options.MaxInputBytes);
        _assembler = new OggPacketAssembler { MaxPacketBytes = options.MaxPacketBytes };

        OggPage first = _pages.ReadPage() ?? throw new AudioFormatException("Ogg Opus input is empty");
        _assembler.Feed(first, _completed);
        if (!first.IsBeginOfStream || _completed.Count == 0)
            throw new AudioFormatException("Ogg stream does not begin with a complete identification header page");
        if (_completed[0].AsSpan().StartsWith("\u0001vorbis"u8))
            throw new AudioFormatException("Ogg stream contains Vorbis, not Opus");
        Head = OpusHead.Parse(_completed[0]);
        if (_completed.Count > 1 || first.GranulePosition != 0)
            throw new AudioFormatException("OpusHead page must hold only the OpusHead packet with granule position 0");
        _serial = first.Serial;
        _lastSequence = first.Sequence;
        _completed.Clear();

        // The comment header may be large (cover art) and span pages: keep only its magic.
        _assembler.Discard = true;
        while (_completed.Count == 0)
            NextPageOfStream("OpusTags header");
        if (!_completed[0].AsSpan().StartsWith(OpusTags.Magic))
            throw new AudioFormatException("Ogg Opus stream has no OpusTags header after OpusHead");
        if (_completed.Count > 1 || _assembler.HasPartialPacket)
            throw new AudioFormatException("OpusTags header must end its page; audio packets may not share it");
        _completed.Clear();
        _assembler.Discard = false;

        Channels = options.OutputChannels ?? Head.Channels;
        _decoder = new OpusDecoder(options.OutputSampleRate, Channels);
        if (Head.OutputGainQ8 != 0)
            _decoder.GainQ8 = Head.OutputGainQ8;
        _scale = OpusRates.ClockRate / options.OutputSampleRate;
        _decoded = new short[_decoder.MaxFrameSamples * Channels];
        _maxSamples = (long)(options.MaxDuration.TotalSeconds * options.OutputSampleRate);
        MaxDuration = options.MaxDuration;
    }

    /// <summary>The stream's identification header.</summary>
    public OpusHead Head { get; }

    /// <summary>Output sample rate in Hz.</summary>
    public int SampleRate => _decoder.SampleRate;

    /// <summary>Output channels (interleaved).</summary>
    public int Channels { get; }

    /// <summary>The duration limit being enforced.</summary>
    public TimeSpan MaxDuration { get; }

    /// <summary>
    /// Fills <paramref name="destination"/> with interleaved samples; returns how many were
    /// written (a multiple of <see cref="Channels"/>), 0 once the stream has ended.
    /// </summary>
    public int Read(Span<short> destination)
    {
        if (destination.Length < Channels)
            throw new ArgumentException($"destination must hold at least one {Channels}-channel frame", nameof(destination));
        int written = 0;
        int room = destination.Length - destination.Length % Channels;
        while (written < room)
        {
            if (_decodedOffset < _decodedLength)
            {
                int n = Math.Min(room - written, _decodedLength - _decodedOffset);
                _decoded.AsSpan(_decodedOffset, n).CopyTo(destination[written..]);
                _decodedOffset += n;
                written += n;
                continue;
            }
            if (!DecodeNextPacket())
                break;
        }
        return written;
    }

    /// <summary>Decodes the rest of the stream (bounded by <see cref="MaxDuration"/>).</summary>
    public short[] ReadToEnd()
    {
        var chunks = new List<short>();
        var buffer = new short[_decoded.Length];
        int n;
        while ((n = Read(buffer)) > 0)
            chunks.AddRange(buffer.AsSpan(0, n));
        return [.. chunks];
    }

    private bool DecodeNextPacket()
    {
        while (_queue.Count == 0)
        {
            if (_endOfStream)
                return false;
            ReadAudioPage();
        }

        var (packet, start48) = _queue.Dequeue();
        int samples = _decoder.Decode(packet, _decoded);
        long end48 = start48 + (long)samples * _scale;
        // Keep only the part inside [pre-skip, final granule) on the 48 kHz clock.
        long keepFrom48 = Math.Max(start48, Head.PreSkip);
        long keepTo48 = Math.Min(end48, _windowEnd48);
        int from = keepFrom48 >= keepTo48 ? 0 : (int)((keepFrom48 - start48) / _scale);
        int to = keepFrom48 >= keepTo48 ? 0 : (int)((keepTo48 - start48) / _scale);
        _decodedOffset = from * Channels;
        _decodedLength = to * Channels;

        _outputSamples += to - from;
        if (_outputSamples > _maxSamples)
            throw new AudioFormatException($"Ogg Opus audio is longer than the limit of {MaxDuration.TotalSeconds:0.###} s");
        return true;
    }

    private void ReadAudioPage()
    {
        OggPage page = NextPageOfStream("audio");
        if (_completed.Count == 0 && !page.IsEndOfStream)
            return;

        long pageSamples48 = 0;
        foreach (byte[] packet in _completed)
            pageSamples48 += OpusDecoder.GetSampleCount(packet, OpusRates.ClockRate);

        if (_firstAudioPage && !page.IsEndOfStream && page.GranulePosition < pageSamples48)
        {
            // RFC 7845 §4.5: a first page ending before its samples do means the excess at the
            // start is discarded; shifting the clock start below zero does exactly that.
            _pos48 = page.GranulePosition - pageSamples48;
        }
        _firstAudioPage = false;

        foreach (byte[] packet in _completed)
        {
            _queue.Enqueue((packet, _pos48));
            _pos48 += OpusDecoder.GetSampleCount(packet, OpusRates.ClockRate);
        }
        _completed.Clear();

        if (page.IsEndOfStream)
        {
            _endOfStream = true;
            if (page.GranulePosition < _pos48 - pageSamples48 || page.GranulePosition < Head.PreSkip)
                throw new AudioFormatException($"Ogg Opus final granule position {page.GranulePosition} is before the audio of the last page");
            _windowEnd48 = page.GranulePosition;
        }
    }

    /// <summary>Next page of the Opus logical stream; its completed packets land in <see cref="_completed"/>.</summary>
    private OggPage NextPageOfStream(string expected)
    {
        while (true)
        {
            OggPage page = _pages.ReadPage()
                ?? throw new AudioFormatException($"Ogg Opus stream is truncated: input ended after {_pages.PageCount} pages while reading {expected}, before the end-of-stream page");
            if (page.Serial != _serial)
                continue; // another multiplexed logical stream
            if (page.Sequence != _lastSequence + 1)
                throw new AudioFormatException($"Ogg Opus stream is missing pages: sequence jumps from {_lastSequence} to {page.Sequence}");
            _lastSequence = page.Sequence;
            _assembler.Feed(page, _completed);
            return page;
        }
    }

    public void Dispose() => _decoder?.Dispose();
}
