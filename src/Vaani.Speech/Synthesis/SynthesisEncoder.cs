using System.Buffers;
using Vaani.Audio;
using Vaani.Audio.Containers;
using Vaani.Audio.Conversion;
using Vaani.Audio.Wav;

namespace Vaani.Speech.Synthesis;

/// <summary>
/// Turns an engine's native PCM into a requested output, chunk by chunk as synthesis produces it:
/// converts the sample format/rate (stream-safe across chunks) and wraps it in the container
/// (a streaming WAV header with unknown sizes, or Ogg Opus pages).
/// </summary>
public sealed class SynthesisEncoder : IDisposable
{
    private readonly TtsOutputFormat _output;
    private readonly AudioConverter? _converter;
    private readonly ArrayBufferWriter<byte> _pcm = new(8192);
    private readonly BufferWriterStream? _oggSink;
    private readonly OggOpusWriter? _ogg;
    private bool _started;

    public SynthesisEncoder(AudioFormat engineFormat, TtsOutputFormat output)
    {
        _output = output;
        var pcmFormat = output.Container == TtsContainer.Ogg ? AudioFormat.Linear16(output.Format.SampleRate) : output.Format;
        _converter = engineFormat == pcmFormat ? null : new AudioConverter(engineFormat, pcmFormat);
        if (output.Container == TtsContainer.Ogg)
        {
            _oggSink = new BufferWriterStream();
            _ogg = new OggOpusWriter(_oggSink, output.Format.SampleRate, 1);
        }
    }

    /// <summary>Writes the container header, if any. Called once, before the first <see cref="Encode"/> (otherwise implied).</summary>
    public void Start(IBufferWriter<byte> output)
    {
        if (_started) return;
        _started = true;
        if (_output.Container == TtsContainer.Wav)
        {
            int length = WavHeaderWriter.HeaderLength(_output.Format);
            WavHeaderWriter.Write(_output.Format, null, output.GetSpan(length));
            output.Advance(length);
        }
        _oggSink?.DrainTo(output); // Ogg Opus identification and comment headers
    }

    /// <summary>Encodes one chunk of engine PCM.</summary>
    public void Encode(ReadOnlySpan<byte> enginePcm, IBufferWriter<byte> output)
    {
        Start(output);
        if (_ogg is null)
        {
            if (_converter is null) output.Write(enginePcm);
            else _converter.Convert(enginePcm, output);
            return;
        }
        _pcm.Clear();
        if (_converter is null) _pcm.Write(enginePcm);
        else _converter.Convert(enginePcm, _pcm);
        _ogg.Write(_pcm.WrittenSpan);
        _oggSink!.DrainTo(output);
    }

    /// <summary>Flushes the converter tail and closes the container.</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        Start(output);
        if (_ogg is null)
        {
            _converter?.Flush(output);
            return;
        }
        _pcm.Clear();
        _converter?.Flush(_pcm);
        if (_pcm.WrittenCount > 0) _ogg.Write(_pcm.WrittenSpan);
        _ogg.Complete();
        _oggSink!.DrainTo(output);
    }

    public void Dispose() => _ogg?.Dispose();

    /// <summary>A write-only stream collecting container bytes until they are drained into the caller's output.</summary>
    private sealed class BufferWriterStream : Stream
    {
        private readonly ArrayBufferWriter<byte> _pending = new(4096);

        public void DrainTo(IBufferWriter<byte> output)
        {
            if (_pending.WrittenCount == 0) return;
            output.Write(_pending.WrittenSpan);
            _pending.Clear();
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => _pending.Write(buffer);
    }
}
