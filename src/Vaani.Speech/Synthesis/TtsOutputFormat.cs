using Vaani.Audio;

namespace Vaani.Speech.Synthesis;

/// <summary>How synthesised audio is delivered: raw samples, a WAV stream, or Ogg Opus.</summary>
public enum TtsContainer { Raw, Wav, Ogg }

/// <summary>An output format for synthesis: container plus sample format.</summary>
public sealed record TtsOutputFormat(TtsContainer Container, AudioFormat Format)
{
    /// <summary>Names accepted by the CLI and HTTP API.</summary>
    public const string Names = "wav, pcm, mulaw, alaw or opus";

    /// <summary>
    /// Parses <c>wav|pcm|linear16|mulaw|alaw|opus</c> at <paramref name="sampleRate"/> (null: the
    /// engine's native rate, or 48 kHz for opus, 8 kHz for G.711).
    /// </summary>
    public static TtsOutputFormat Parse(string name, int? sampleRate, int nativeRate) => name.Trim().ToLowerInvariant() switch
    {
        "wav" => new(TtsContainer.Wav, AudioFormat.Linear16(sampleRate ?? nativeRate)),
        "pcm" or "linear16" or "raw" => new(TtsContainer.Raw, AudioFormat.Linear16(sampleRate ?? nativeRate)),
        "mulaw" or "ulaw" => new(TtsContainer.Raw, AudioFormat.Mulaw(sampleRate ?? 8000)),
        "alaw" => new(TtsContainer.Raw, AudioFormat.Alaw(sampleRate ?? 8000)),
        "opus" or "ogg" => new(TtsContainer.Ogg, new AudioFormat(AudioEncoding.Opus, sampleRate ?? 48000)),
        _ => throw new AudioFormatException($"output format '{name}' is not supported: use {Names}"),
    };

    /// <summary>The MIME type of the delivered bytes.</summary>
    public string ContentType => Container switch
    {
        TtsContainer.Wav => "audio/wav",
        TtsContainer.Ogg => "audio/ogg",
        _ => Format.Encoding switch
        {
            AudioEncoding.Mulaw => "audio/basic",
            AudioEncoding.Alaw => "audio/x-alaw-basic",
            _ => $"audio/L16; rate={Format.SampleRate}; channels=1",
        },
    };
}
