using System.Runtime.CompilerServices;
using Vaani.Audio;

namespace Vaani.Engines.Passthrough;

/// <summary>
/// A benchmark and protocol-test TTS engine that synthesises nothing real: every
/// whitespace-separated word of the request becomes <see cref="WordDuration"/> of a fixed
/// square-ish tone (linear16, 16 kHz, mono) preceded by a <see cref="TtsWord"/> mark, so
/// tests can check that every byte and every word crossed a process boundary intact.
/// </summary>
public sealed class PassthroughTtsEngine : ITextToSpeechEngine
{
    /// <summary>The format of the produced audio.</summary>
    public static readonly AudioFormat Format = AudioFormat.Linear16(16000);

    /// <summary>Audio produced per word.</summary>
    public static readonly TimeSpan WordDuration = TimeSpan.FromMilliseconds(200);

    /// <summary>Bytes of audio produced per word.</summary>
    public const int BytesPerWord = 6400;

    public EngineCapabilities Capabilities { get; } = new()
    {
        Name = "passthrough",
        Languages = ["en-US", "und"],
        Voices = [new VoiceInfo("passthrough", "Passthrough test voice", "und", "unknown")],
        NativeFormat = Format,
        Streaming = true,
        WordTimings = true,
        MaxConcurrency = 64,
    };

    public async IAsyncEnumerable<TtsEvent> SynthesizeAsync(TtsRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (request.IsSsml)
            throw new EngineException("unsupported_ssml", "the passthrough engine accepts plain text only", isPermanent: true);
        var index = 0;
        var text = request.Text;
        var i = 0;
        while (i < text.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            while (i < text.Length && char.IsWhiteSpace(text[i]))
                i++;
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
                i++;
            if (i == start)
                break;
            var begin = WordDuration * index;
            yield return new TtsWord(text[start..i], begin, begin + WordDuration, start, i - start);
            yield return new TtsAudio(Tone(index));
            index++;
            // Yield so a consumer's cancellation is observed between words, as a real engine's would be.
            await Task.Yield();
        }
    }

    /// <summary>The audio emitted for word <paramref name="index"/>; deterministic so tests can compare bytes.</summary>
    public static byte[] Tone(int index)
    {
        var audio = new byte[BytesPerWord];
        var amplitude = (short)(1000 + (index % 8) * 1000);
        for (var s = 0; s < BytesPerWord / 2; s++)
        {
            var value = (s / 20 % 2 == 0) ? amplitude : (short)-amplitude;
            audio[2 * s] = (byte)value;
            audio[2 * s + 1] = (byte)(value >> 8);
        }
        return audio;
    }
}
