using Vaani.Audio;
using Vaani.Speech.Synthesis;

namespace Vaani.Gateway.Compat;

/// <summary>
/// An output format of a compatible TTS API: either one Vaani encodes itself
/// (<see cref="Native"/>: wav, raw PCM, G.711, Ogg Opus) or one transcoded by ffmpeg
/// (<see cref="FfmpegCodec"/>: mp3, flac, aac) from linear16 at <see cref="SampleRate"/>.
/// </summary>
public sealed record SpeechOutput(TtsOutputFormat? Native, string? FfmpegCodec, int SampleRate, string ContentType)
{
    public static SpeechOutput Of(TtsOutputFormat native) => new(native, null, native.Format.SampleRate, native.ContentType);

    /// <summary>mp3, flac or aac through ffmpeg.</summary>
    public static SpeechOutput Transcoded(string codec, int sampleRate) => codec switch
    {
        "mp3" => new(null, codec, sampleRate, "audio/mpeg"),
        "flac" => new(null, codec, sampleRate, "audio/flac"),
        "aac" => new(null, codec, sampleRate, "audio/aac"),
        _ => throw new AudioFormatException($"'{codec}' cannot be transcoded: use mp3, flac or aac"),
    };
}
