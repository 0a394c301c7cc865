using System.Buffers.Binary;
using Vaani.Audio.Opus;

namespace Vaani.Audio.Containers;

/// <summary>
/// Encodes linear16 PCM into an Ogg Opus stream (RFC 7845): OpusHead and OpusTags pages, then
/// 20 ms Opus packets with granule positions on the 48 kHz clock including pre-skip. Input may
/// arrive in chunks of any size (even split samples); it is buffered until a full frame.
/// <see cref="Complete"/> pads and encodes the remainder plus the encoder's lookahead, and sets
/// the final granule so decoders trim the padding and return exactly the input length.
/// Not thread-safe.
/// </summary>
public sealed class OggOpusWriter : IDisposable
{
    private const int FrameMs = 20;

    private readonly OpusEncoder _encoder;
    private readonly OggPageWriter _pages;
    private readonly int _packetsPerPage;
    private readonly int _scale;          // 48 kHz clock ticks per input sample
    private readonly int _preSkip;        // input-rate samples of encoder delay
    private readonly short[] _frame;      // interleaved frame being filled
    private readonly byte[] _packet = new byte[OpusEncoder.MaxPacketBytes];
    private int _filled;                  // interleaved samples in _frame
    private int _oddByte = -1;            // low byte of a sample split across Write calls
    private long _inputSamples;           // per channel
    private long _encodedSamples;         // per channel, incl. padding
    private int _packetsOnPage;
    private bool _completed;

    /// <param name="output">Receives the Ogg bytes; not disposed by the writer.</param>
    /// <param name="sampleRate">Input rate: 8000, 12000, 16000, 24000 or 48000 Hz.</param>
    /// <param name="channels">Input channels (interleaved), 1 or 2.</param>
    /// <param name="options">Encoder and paging settings.</param>
    public OggOpusWriter(Stream output, int sampleRate, int channels, OggOpusWriterOptions? options = null)
    {
        options ??= new OggOpusWriterOptions();
        if (options.PacketsPerPage is < 1 or > OggPage.MaxSegments / 5)
            throw new AudioFormatException($"packets per page {options.PacketsPerPage} is out of range: it must be between 1 and {OggPage.MaxSegments / 5}");
        _encoder = new OpusEncoder(sampleRate, channels, options.Application);
        try
        {
            if (options.Bitrate is int bitrate)
                _encoder.Bitrate = bitrate;
            _scale = OpusRates.ClockRate / sampleRate;
            _preSkip = _encoder.Lookahead;
            _frame = new short[sampleRate * FrameMs / 1000 * channels];
            _packetsPerPage = options.PacketsPerPage;
            _pages = new OggPageWriter(output, options.Serial ?? (uint)Random.Shared.NextInt64(0, uint.MaxValue + 1L));
            Head = new OpusHead(channels, _preSkip * _scale, sampleRate);

            // RFC 7845 §3: OpusHead alone on the first page, OpusTags ending its own page(s).
            _pages.WritePacket(Head.ToBytes(), 0);
            _pages.FlushPage();
            _pages.WritePacket(OpusTags.Create(options.Vendor), 0);
            _pages.FlushPage();
        }
        catch
        {
            _encoder.Dispose();
            throw;
        }
    }

    /// <summary>The identification header written at the start of the stream.</summary>
    public OpusHead Head { get; }

    /// <summary>Duration of the PCM accepted so far.</summary>
    public TimeSpan InputDuration => TimeSpan.FromSeconds((double)_inputSamples / _encoder.SampleRate);

    /// <summary>Appends little-endian linear16 bytes; a chunk may end in the middle of a sample.</summary>
    public void Write(ReadOnlySpan<byte> linear16)
    {
        ThrowIfCompleted();
        if (linear16.IsEmpty)
            return;
        if (_oddByte >= 0)
        {
            Append((short)(_oddByte | (linear16[0] << 8)));
            _oddByte = -1;
            linear16 = linear16[1..];
        }
        int whole = linear16.Length & ~1;
        for (int i = 0; i < whole; i += 2)
            Append(BinaryPrimitives.ReadInt16LittleEndian(linear16[i..]));
        if (whole < linear16.Length)
            _oddByte = linear16[^1];
    }

    /// <summary>Appends interleaved samples.</summary>
    public void Write(ReadOnlySpan<short> samples)
    {
        ThrowIfCompleted();
        if (_oddByte >= 0)
            throw new InvalidOperationException("a linear16 byte chunk ended mid-sample; finish it before writing samples");
        while (!samples.IsEmpty)
        {
            int n = Math.Min(samples.Length, _frame.Length - _filled);
            samples[..n].CopyTo(_frame.AsSpan(_filled));
            _filled += n;
            samples = samples[n..];
            if (_filled == _frame.Length)
                EncodeFrame();
        }
    }

    /// <summary>Writes every packet encoded so far to the output (a partial page), for streaming.</summary>
    public void Flush()
    {
        ThrowIfCompleted();
        _pages.FlushPage();
        _packetsOnPage = 0;
    }

    /// <summary>
    /// Ends the stream: pads the last frame with silence, encodes enough extra to flush the
    /// encoder's lookahead, and writes the end-of-stream page whose granule marks the true end.
    /// </summary>
    public void Complete()
    {
        if (_completed)
            return;
        if (_oddByte >= 0)
            throw new AudioFormatException("linear16 input ended in the middle of a sample (odd byte count)");
        if (_filled % _encoder.Channels != 0)
            throw new AudioFormatException($"linear16 input ended in the middle of a {_encoder.Channels}-channel frame");
        // Real samples in the partial frame count as input; the zeros after them do not.
        _inputSamples += _filled / _encoder.Channels;
        long needed = _inputSamples + _preSkip;
        while (_filled > 0 || _encodedSamples < needed)
        {
            _frame.AsSpan(_filled).Clear();
            _filled = _frame.Length;
            EncodeFrame(padding: true);
        }
        _pages.Complete();
        _completed = true;
    }

    private void Append(short sample)
    {
        _frame[_filled++] = sample;
        if (_filled == _frame.Length)
            EncodeFrame();
    }

    private void EncodeFrame(bool padding = false)
    {
        int perChannel = _frame.Length / _encoder.Channels;
        if (!padding)
            _inputSamples += perChannel;
        int length = _encoder.Encode(_frame, _packet);
        _encodedSamples += perChannel;
        _filled = 0;

        // The granule counts decoded samples (pre-skip included) on the 48 kHz clock; the final
        // packet's granule is capped at the real end so decoders drop the padding.
        long end = (_inputSamples + _preSkip) * _scale;
        long granule = padding ? Math.Min(_encodedSamples * _scale, end) : _encodedSamples * _scale;
        if (_packetsOnPage == _packetsPerPage)
        {
            _pages.FlushPage();
            _packetsOnPage = 0;
        }
        _pages.WritePacket(_packet.AsSpan(0, length), granule);
        _packetsOnPage++;
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
            throw new InvalidOperationException("the Ogg Opus stream is already complete");
    }

    /// <summary>Frees the encoder. Does not complete the stream: call <see cref="Complete"/> first.</summary>
    public void Dispose() => _encoder.Dispose();
}
