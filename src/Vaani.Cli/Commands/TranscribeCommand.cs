using System.CommandLine;
using Vaani.Audio;
using Vaani.Audio.Containers;
using Vaani.Audio.Decoding;
using Vaani.Engines;
using Vaani.Speech.Batch;
using Vaani.Speech.Transcripts;

namespace Vaani.Cli.Commands;

/// <summary><c>vaani transcribe FILE</c>: batch speech-to-text of a file in any supported format.</summary>
internal static class TranscribeCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Audio file (WAV, Ogg Opus, MP3, FLAC, Ogg Vorbis, M4A, WebM; raw with --encoding); '-' reads stdin" };
        var format = new Option<string>("--format", "-f") { Description = "Output: text, json (words with timings and confidences), srt or vtt", DefaultValueFactory = _ => "text" };
        var language = new Option<string>("--language", "-l") { Description = "Spoken language", DefaultValueFactory = _ => "en-US" };
        var encoding = new Option<string?>("--encoding") { Description = "For headerless raw input: linear16, float32, mulaw or alaw" };
        var sampleRate = new Option<int?>("--sample-rate") { Description = "For headerless raw input: sample rate in Hz" };
        var channels = new Option<int>("--channels") { Description = "For headerless raw input: channel count", DefaultValueFactory = _ => 1 };
        var maxDuration = new Option<double>("--max-duration") { Description = "Longest audio accepted, in seconds", DefaultValueFactory = _ => 3600 };
        var command = new Command("transcribe", "Transcribe an audio file") { file, format, language, encoding, sampleRate, channels, maxDuration };
        command.SetAction(async (parse, ct) =>
        {
            TranscriptFormat outputFormat;
            try { outputFormat = TranscriptFormatter.Parse(parse.GetValue(format)!); }
            catch (ArgumentException ex) { throw new UsageException(ex.Message); }
            AudioFormat? raw = null;
            if (parse.GetValue(encoding) is { } enc)
            {
                var e = AudioFormat.ParseEncoding(enc);
                raw = new AudioFormat(e, parse.GetValue(sampleRate) ?? (e is AudioEncoding.Mulaw or AudioEncoding.Alaw ? 8000 : 16000), parse.GetValue(channels));
            }
            else if (parse.GetValue(sampleRate) is not null)
            {
                throw new UsageException("--sample-rate applies to raw input: give --encoding too");
            }
            var lang = parse.GetValue(language)!;
            var limits = new DecodeLimits { MaxDuration = TimeSpan.FromSeconds(parse.GetValue(maxDuration)), MaxInputBytes = 4L << 30 };

            await using var engine = await LocalEngines.CreateSttAsync(lang, ct);
            var path = parse.GetValue(file)!;
            byte[] audio;
            await using (var input = path == "-" ? Console.OpenStandardInput() : OpenInput(path))
                audio = await AudioInput.ReadAllAsync(input, raw, engine.Capabilities.NativeFormat, engine.Capabilities.FoldNarrowbandInput, limits, ct);
            if (audio.Length == 0) throw new AudioFormatException($"{path} holds no audio samples");
            var transcript = await BatchTranscriber.TranscribeAsync(engine, audio, new SttSessionOptions { Language = lang }, ct);
            Console.Out.Write(TranscriptFormatter.Format(transcript, outputFormat));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static FileStream OpenInput(string path)
    {
        if (Directory.Exists(path)) throw new UsageException($"{path} is a directory, not an audio file");
        if (!File.Exists(path)) throw new FileNotFoundException($"no such file: {path}", path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
    }
}
