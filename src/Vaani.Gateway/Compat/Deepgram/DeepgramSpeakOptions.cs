using System.Globalization;
using Microsoft.AspNetCore.Http;
using Vaani.Audio;
using Vaani.Speech.Synthesis;

namespace Vaani.Gateway.Compat.Deepgram;

/// <summary>
/// Query parameters of <c>/v1/speak</c>: <c>model</c> (an Aura name), <c>encoding</c>,
/// <c>container</c>, <c>sample_rate</c>; <c>bit_rate</c>, <c>tag</c>, <c>mip_opt_out</c> and
/// unknown parameters are accepted and ignored.
/// </summary>
internal sealed record DeepgramSpeakOptions(string Model, CompatVoice Voice, SpeechOutput Output, double Speed)
{
    public const string DefaultModel = "aura-asteria-en";

    public static DeepgramSpeakOptions Parse(IQueryCollection q, ICompatModelMap models, bool streaming)
    {
        var model = DeepgramListenOptions.Get(q, "model") ?? DefaultModel;
        var voice = models.DeepgramVoice(model) ?? throw new ArgumentException($"No such model: '{model}' is not an Aura model served here (e.g. {DefaultModel}, aura-2-thalia-en)");
        var encoding = (DeepgramListenOptions.Get(q, "encoding") ?? (streaming ? "linear16" : "mp3")).ToLowerInvariant();
        var container = DeepgramListenOptions.Get(q, "container")?.ToLowerInvariant();
        int? rate = null;
        if (DeepgramListenOptions.Get(q, "sample_rate") is { } r)
        {
            if (!int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || !AudioFormat.SupportedSampleRates.Contains(v))
                throw new ArgumentException($"sample_rate: '{r}' is not supported: use one of {string.Join(", ", AudioFormat.SupportedSampleRates)}");
            rate = v;
        }
        double speed = 1.0;
        if (DeepgramListenOptions.Get(q, "speed") is { } s && (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out speed) || speed < 0.5 || speed > 2.0))
            throw new ArgumentException($"speed: '{s}' is not valid: give a number from 0.5 to 2.0");
        if (streaming && encoding is not ("linear16" or "mulaw" or "alaw"))
            throw new ArgumentException($"encoding: '{encoding}' is not supported on the streaming socket: use linear16, mulaw or alaw");
        if (container is not (null or "none" or "wav" or "ogg"))
            throw new ArgumentException($"container: '{container}' is not valid: use wav, ogg or none");
        bool wav = !streaming && container is null or "wav";
        var output = encoding switch
        {
            "linear16" => SpeechOutput.Of(new TtsOutputFormat(wav ? TtsContainer.Wav : TtsContainer.Raw, AudioFormat.Linear16(rate ?? 24000))),
            "mulaw" => SpeechOutput.Of(new TtsOutputFormat(wav ? TtsContainer.Wav : TtsContainer.Raw, AudioFormat.Mulaw(rate ?? 8000))),
            "alaw" => SpeechOutput.Of(new TtsOutputFormat(wav ? TtsContainer.Wav : TtsContainer.Raw, AudioFormat.Alaw(rate ?? 8000))),
            "opus" => SpeechOutput.Of(TtsOutputFormat.Parse("opus", rate ?? 48000, 48000)),
            "mp3" => SpeechOutput.Transcoded("mp3", rate ?? 22050),
            "flac" => SpeechOutput.Transcoded("flac", rate ?? 48000),
            "aac" => SpeechOutput.Transcoded("aac", rate ?? 22050),
            _ => throw new ArgumentException($"encoding: '{encoding}' is not valid: use linear16, mulaw, alaw, opus, mp3, flac or aac"),
        };
        return new DeepgramSpeakOptions(model, voice, output, speed);
    }
}
