using Vaani.Audio.Codecs;
using Vaani.Audio.Pcm;

namespace Vaani.Audio.Conversion;

/// <summary>Decodes fixed-size encodings to float samples and encodes them back.</summary>
internal static class SampleCodec
{
    /// <summary>Decodes whole samples of <paramref name="encoding"/>; non-finite floats become silence.</summary>
    public static void Decode(AudioEncoding encoding, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (encoding)
        {
            case AudioEncoding.Linear16:
                PcmConvert.Linear16BytesToFloat(src, dst);
                break;
            case AudioEncoding.Float32:
                PcmConvert.Float32BytesToFloat(src, dst);
                // A hostile or broken client can send NaN/Inf; inside a filter they would smear
                // across the whole window, so they are silenced here.
                for (int i = 0; i < src.Length / 4; i++)
                {
                    if (!float.IsFinite(dst[i]))
                        dst[i] = 0;
                }
                break;
            case AudioEncoding.Mulaw:
                for (int i = 0; i < src.Length; i++)
                    dst[i] = PcmConvert.ToFloat(G711.MulawDecode(src[i]));
                break;
            case AudioEncoding.Alaw:
                for (int i = 0; i < src.Length; i++)
                    dst[i] = PcmConvert.ToFloat(G711.AlawDecode(src[i]));
                break;
            default:
                throw new AudioFormatException($"encoding {AudioFormat.EncodingName(encoding)} is not a fixed-size sample encoding");
        }
    }

    /// <summary>Encodes float samples to <paramref name="encoding"/>.</summary>
    public static void Encode(AudioEncoding encoding, ReadOnlySpan<float> src, Span<byte> dst)
    {
        switch (encoding)
        {
            case AudioEncoding.Linear16:
                PcmConvert.FloatToLinear16Bytes(src, dst);
                break;
            case AudioEncoding.Float32:
                PcmConvert.FloatToFloat32Bytes(src, dst);
                break;
            case AudioEncoding.Mulaw:
                for (int i = 0; i < src.Length; i++)
                    dst[i] = G711.MulawEncode(PcmConvert.ToLinear16(src[i]));
                break;
            case AudioEncoding.Alaw:
                for (int i = 0; i < src.Length; i++)
                    dst[i] = G711.AlawEncode(PcmConvert.ToLinear16(src[i]));
                break;
            default:
                throw new AudioFormatException($"encoding {AudioFormat.EncodingName(encoding)} is not a fixed-size sample encoding");
        }
    }
}
