using System.Numerics;
using System.Runtime.InteropServices;

namespace Vaani.Audio.Resampling;

/// <summary>
/// Streaming sample-rate converter for mono float audio: a polyphase Kaiser-windowed-sinc
/// filter on the exact reduced ratio L/M (44100 → 48000 is 160/147), with anti-aliasing at
/// the lower of the two Nyquist frequencies (passband to 90% of it, ~80 dB stopband).
/// </summary>
/// <remarks>
/// <para>Output does not depend on how the input is chunked: output sample k is always computed
/// from the same 2W inputs around instant k·M/L with the same arithmetic, whatever the call
/// boundaries were.</para>
/// <para>The filter is centred (zero group delay): output k lines up with input time k·in/out.
/// Outputs are held back until W inputs past their instant have arrived; <see cref="Flush"/>
/// pads with silence to release them, so a whole stream of N inputs yields exactly
/// ⌈N·out/in⌉ outputs.</para>
/// <para>Memory is bounded: the history buffer holds 2W + <see cref="BlockSize"/> samples
/// whatever the call sizes; the coefficient table is shared per rate pair.</para>
/// </remarks>
public sealed class StreamingResampler
{
    /// <summary>Inputs taken into the history buffer per inner step.</summary>
    public const int BlockSize = 4096;

    private readonly PolyphaseFilter? _filter;
    private readonly float[] _buffer = [];
    private readonly int _l, _m, _w, _taps;
    private int _bufferLength;
    private long _bufferStart; // absolute input index of _buffer[0] (negative while priming)
    private long _totalIn;
    private long _nextOut;

    /// <summary>Creates a resampler from <paramref name="inRate"/> to <paramref name="outRate"/> Hz.</summary>
    /// <exception cref="AudioFormatException">A rate is outside 8000–48000 Hz, or the ratio needs too many phases.</exception>
    public StreamingResampler(int inRate, int outRate)
    {
        CheckRate(inRate, nameof(inRate));
        CheckRate(outRate, nameof(outRate));
        InputRate = inRate;
        OutputRate = outRate;
        if (inRate == outRate)
        {
            _l = _m = 1;
            return;
        }
        _filter = PolyphaseFilter.For(inRate, outRate);
        _l = _filter.Interpolation;
        _m = _filter.Decimation;
        _w = _filter.HalfTaps;
        _taps = _filter.Taps;
        _buffer = new float[_taps + Math.Max(BlockSize, _w)];
        Reset();
    }

    /// <summary>Input sample rate in Hz.</summary>
    public int InputRate { get; }

    /// <summary>Output sample rate in Hz.</summary>
    public int OutputRate { get; }

    /// <summary>True when the rates are equal and samples pass through unchanged.</summary>
    public bool IsIdentity => _filter is null;

    /// <summary>Inputs the resampler must see past an output's instant before emitting it (W); 0 for identity.</summary>
    public int LatencyInputSamples => _w;

    /// <summary>Largest number of samples <see cref="Flush"/> can write.</summary>
    public int MaxFlushLength => IsIdentity ? 0 : checked((int)(((long)_w * _l / _m) + 2));

    /// <summary>An output length always large enough for <see cref="Process"/> of <paramref name="inputLength"/> samples.</summary>
    public int GetMaxOutputLength(int inputLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputLength);
        return IsIdentity ? inputLength : checked((int)((((long)inputLength * _l) + _m - 1) / _m) + 1);
    }

    /// <summary>
    /// Consumes all of <paramref name="input"/> and writes the outputs that are now complete.
    /// </summary>
    /// <param name="output">Must hold at least <see cref="GetMaxOutputLength"/>(input.Length) samples.</param>
    /// <returns>Samples written to <paramref name="output"/>.</returns>
    public int Process(ReadOnlySpan<float> input, Span<float> output)
    {
        int max = GetMaxOutputLength(input.Length);
        if (output.Length < max)
            throw new ArgumentException($"output holds {output.Length} samples; {max} are needed for {input.Length} inputs", nameof(output));
        if (IsIdentity)
        {
            input.CopyTo(output);
            return input.Length;
        }

        int written = 0;
        while (!input.IsEmpty)
        {
            int n = Math.Min(input.Length, _buffer.Length - _bufferLength);
            input[..n].CopyTo(_buffer.AsSpan(_bufferLength));
            _bufferLength += n;
            _totalIn += n;
            input = input[n..];
            written += Drain(output[written..], long.MaxValue);
            Compact();
        }
        return written;
    }

    /// <summary>
    /// Ends the stream: emits the outputs still held back (as if silence followed the input),
    /// then resets so the resampler can start a new stream.
    /// </summary>
    /// <param name="output">Must hold at least <see cref="MaxFlushLength"/> samples.</param>
    /// <returns>Samples written.</returns>
    public int Flush(Span<float> output)
    {
        if (IsIdentity)
            return 0;
        if (output.Length < MaxFlushLength)
            throw new ArgumentException($"output holds {output.Length} samples; {MaxFlushLength} are needed to flush", nameof(output));
        // After Compact at most 2W samples remain, so W zeros always fit.
        _buffer.AsSpan(_bufferLength, _w).Clear();
        _bufferLength += _w;
        // Only outputs whose instant lies inside the real input: k·M/L < totalIn.
        long lastExclusive = ((_totalIn * _l) + _m - 1) / _m;
        int written = Drain(output, lastExclusive);
        Reset();
        return written;
    }

    /// <summary>Discards all history and starts a new stream.</summary>
    public void Reset()
    {
        if (IsIdentity)
            return;
        // Prime with W-1 zeros of "before the stream" so output 0 is centred on input 0.
        Array.Clear(_buffer);
        _bufferLength = _w - 1;
        _bufferStart = -(_w - 1);
        _totalIn = 0;
        _nextOut = 0;
    }

    private int Drain(Span<float> output, long outLimit)
    {
        long available = _bufferStart + _bufferLength; // one past the last buffered input
        float[] coefficients = _filter!.Coefficients;
        int written = 0;
        while (_nextOut < outLimit)
        {
            long pos = _nextOut * _m;
            long i = pos / _l;
            if (i + _w >= available)
                break;
            int phase = (int)(pos - (i * _l));
            int start = (int)(i - _w + 1 - _bufferStart);
            output[written++] = Dot(
                coefficients.AsSpan(phase * _taps, _taps),
                _buffer.AsSpan(start, _taps));
            _nextOut++;
        }
        return written;
    }

    private void Compact()
    {
        long i = _nextOut * _m / _l;
        long keepFrom = i - _w + 1 - _bufferStart;
        int drop = (int)Math.Clamp(keepFrom, 0, _bufferLength);
        if (drop == 0)
            return;
        _buffer.AsSpan(drop, _bufferLength - drop).CopyTo(_buffer);
        _bufferLength -= drop;
        _bufferStart += drop;
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        // Fixed evaluation order for a given length, so results are reproducible bit for bit.
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            var acc = Vector<float>.Zero;
            for (int v = 0; v < va.Length; v++)
                acc += va[v] * vb[v];
            sum = Vector.Sum(acc);
            i = va.Length * Vector<float>.Count;
        }
        for (; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }

    private static void CheckRate(int rate, string name)
    {
        if (rate < 8000 || rate > 48000)
            throw new AudioFormatException($"{name} {rate} Hz is out of range: it must be between 8000 and 48000 Hz");
    }
}
