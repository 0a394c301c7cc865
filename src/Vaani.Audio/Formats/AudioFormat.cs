using System.Globalization;

namespace Vaani.Audio;

/// <summary>
/// The typed format of an audio edge: encoding, sample rate and channel count.
/// Every place audio crosses (client → gateway → worker → engine and back) names one,
/// so conversions are always explicit.
/// </summary>
public sealed record AudioFormat
{
    /// <summary>Sample rates Vaani accepts on its edges.</summary>
    public static readonly IReadOnlyList<int> SupportedSampleRates = [8000, 16000, 22050, 24000, 44100, 48000];

    /// <summary>Largest channel count accepted on an edge.</summary>
    public const int MaxChannels = 8;

    public AudioFormat(AudioEncoding encoding, int sampleRate, int channels = 1)
    {
        if (!Enum.IsDefined(encoding))
            throw new AudioFormatException($"unknown encoding {(int)encoding}");
        if (sampleRate < 8000 || sampleRate > 48000)
            throw new AudioFormatException($"sample_rate {sampleRate} is out of range: it must be between 8000 and 48000 Hz");
        if (channels < 1 || channels > MaxChannels)
            throw new AudioFormatException($"channels {channels} is out of range: it must be between 1 and {MaxChannels}");
        if (encoding == AudioEncoding.Opus && sampleRate is not (8000 or 12000 or 16000 or 24000 or 48000))
            throw new AudioFormatException($"sample_rate {sampleRate} is not valid for opus: use 8000, 12000, 16000, 24000 or 48000");
        Encoding = encoding;
        SampleRate = sampleRate;
        Channels = channels;
    }

    public AudioEncoding Encoding { get; }
    public int SampleRate { get; }
    public int Channels { get; }

    /// <summary>Bytes per single-channel sample; 0 for Opus (variable-size packets).</summary>
    public int BytesPerSample => Encoding switch
    {
        AudioEncoding.Linear16 => 2,
        AudioEncoding.Float32 => 4,
        AudioEncoding.Mulaw or AudioEncoding.Alaw => 1,
        _ => 0,
    };

    /// <summary>Bytes per frame (one sample on every channel); 0 for Opus.</summary>
    public int BytesPerFrame => BytesPerSample * Channels;

    /// <summary>True for encodings with a fixed number of bytes per sample.</summary>
    public bool IsFixedSize => BytesPerSample > 0;

    /// <summary>Bytes per second of audio; 0 for Opus.</summary>
    public int BytesPerSecond => BytesPerFrame * SampleRate;

    /// <summary>Duration of <paramref name="byteCount"/> bytes in this format.</summary>
    public TimeSpan DurationOf(long byteCount) =>
        IsFixedSize ? TimeSpan.FromSeconds((double)byteCount / BytesPerSecond) : throw new InvalidOperationException("opus has no fixed byte rate");

    public static AudioFormat Linear16(int sampleRate, int channels = 1) => new(AudioEncoding.Linear16, sampleRate, channels);
    public static AudioFormat Float32(int sampleRate, int channels = 1) => new(AudioEncoding.Float32, sampleRate, channels);
    public static AudioFormat Mulaw(int sampleRate = 8000, int channels = 1) => new(AudioEncoding.Mulaw, sampleRate, channels);
    public static AudioFormat Alaw(int sampleRate = 8000, int channels = 1) => new(AudioEncoding.Alaw, sampleRate, channels);

    /// <summary>Wire name of an encoding, as used in APIs and on the command line.</summary>
    public static string EncodingName(AudioEncoding encoding) => encoding switch
    {
        AudioEncoding.Linear16 => "linear16",
        AudioEncoding.Float32 => "float32",
        AudioEncoding.Mulaw => "mulaw",
        AudioEncoding.Alaw => "alaw",
        AudioEncoding.Opus => "opus",
        _ => throw new ArgumentOutOfRangeException(nameof(encoding)),
    };

    /// <summary>Parses a wire encoding name (case-insensitive; accepts common aliases).</summary>
    public static AudioEncoding ParseEncoding(string name) => name.Trim().ToLowerInvariant() switch
    {
        "linear16" or "pcm" or "pcm_s16le" or "s16le" => AudioEncoding.Linear16,
        "float32" or "pcm_f32le" or "f32le" => AudioEncoding.Float32,
        "mulaw" or "ulaw" or "mu-law" or "pcm_mulaw" => AudioEncoding.Mulaw,
        "alaw" or "a-law" or "pcm_alaw" => AudioEncoding.Alaw,
        "opus" => AudioEncoding.Opus,
        _ => throw new AudioFormatException($"encoding '{name}' is not supported: use linear16, float32, mulaw, alaw or opus"),
    };

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{EncodingName(Encoding)}/{SampleRate}Hz/{Channels}ch");
}
