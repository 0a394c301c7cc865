using System.Buffers;
using System.CommandLine;
using System.Text;
using System.Text.Json;
using Vaani.Audio;
using Vaani.Engines;
using Vaani.Speech.Synthesis;
using Vaani.Speech.Transcripts;

namespace Vaani.Cli.Commands;

/// <summary><c>vaani speak TEXT</c>: text-to-speech into a file, streamed as it is synthesised.</summary>
internal static class SpeakCommand
{
    public static Command Create()
    {
        var text = new Argument<string?>("text") { Description = "Text (or SSML with --ssml) to speak; '-' reads stdin", Arity = ArgumentArity.ZeroOrOne };
        var textFile = new Option<string?>("--text-file") { Description = "Read the text (UTF-8) from this file instead" };
        var language = new Option<string?>("--language", "-l") { Description = "Language, e.g. en, hi, ta, bn, te (see 'vaani voices')" };
        var voice = new Option<string?>("--voice", "-v") { Description = "Voice id (see 'vaani voices'); wins over --language" };
        var output = new Option<string>("--output", "-o") { Description = "Output file; '-' writes stdout", Required = true };
        var format = new Option<string?>("--format") { Description = $"Output format: {TtsOutputFormat.Names} (default: from the file extension, else wav)" };
        var sampleRate = new Option<int?>("--sample-rate") { Description = "Output sample rate in Hz (8000, 16000, 22050, 24000, 44100, 48000)" };
        var timestamps = new Option<string?>("--timestamps") { Description = "Write word timings as JSON to this file" };
        var ssml = new Option<bool>("--ssml") { Description = "Treat the text as SSML" };
        var rate = new Option<double>("--rate") { Description = "Speaking rate, 0.25–4.0", DefaultValueFactory = _ => 1.0 };
        var pitch = new Option<int>("--pitch") { Description = "Pitch, 0–100", DefaultValueFactory = _ => 50 };
        var command = new Command("speak", "Synthesise speech to a file") { text, textFile, language, voice, output, format, sampleRate, timestamps, ssml, rate, pitch };
        command.SetAction(async (parse, ct) =>
        {
            var input = await ReadTextAsync(parse.GetValue(text), parse.GetValue(textFile), ct);
            if (string.IsNullOrWhiteSpace(input)) throw new UsageException("the text to speak is empty");
            var outPath = parse.GetValue(output)!;
            var formatName = parse.GetValue(format) ?? FormatFromExtension(outPath);
            var rateValue = parse.GetValue(rate);
            var pitchValue = parse.GetValue(pitch);
            if (rateValue is < 0.25 or > 4.0) throw new UsageException($"--rate {rateValue} is out of range: use 0.25–4.0");
            if (pitchValue is < 0 or > 100) throw new UsageException($"--pitch {pitchValue} is out of range: use 0–100");
            var sr = parse.GetValue(sampleRate);
            if (sr is { } r && !AudioFormat.SupportedSampleRates.Contains(r))
                throw new UsageException($"--sample-rate {r} is not supported: use one of {string.Join(", ", AudioFormat.SupportedSampleRates)}");

            var engine = LocalEngines.CreateTts();
            TtsOutputFormat outFormat;
            try { outFormat = TtsOutputFormat.Parse(formatName, sr, engine.Capabilities.NativeFormat.SampleRate); }
            catch (AudioFormatException ex) { throw new UsageException(ex.Message); }
            if (outFormat.Container == TtsContainer.Ogg && sr is 22050 or 44100)
                throw new UsageException($"--sample-rate {sr} is not valid for opus: use 8000, 16000, 24000 or 48000");

            var request = new TtsRequest { Text = input, IsSsml = parse.GetValue(ssml), Voice = parse.GetValue(voice), Language = parse.GetValue(language), Rate = rateValue, Pitch = pitchValue };
            var words = new List<TtsWord>();
            var tempPath = outPath == "-" ? null : outPath + ".partial";
            try
            {
                await using (var sink = tempPath is null ? Console.OpenStandardOutput() : CreateOutput(tempPath))
                {
                    using var encoder = new SynthesisEncoder(engine.Capabilities.NativeFormat, outFormat);
                    var buffer = new ArrayBufferWriter<byte>(16384);
                    encoder.Start(buffer);
                    await foreach (var e in engine.SynthesizeAsync(request, ct))
                    {
                        if (e is TtsAudio a) encoder.Encode(a.Audio.Span, buffer);
                        else if (e is TtsWord w) words.Add(w);
                        if (buffer.WrittenCount >= 8192) { await sink.WriteAsync(buffer.WrittenMemory, ct); buffer.Clear(); }
                    }
                    encoder.Complete(buffer);
                    await sink.WriteAsync(buffer.WrittenMemory, ct);
                }
                if (tempPath is not null)
                {
                    if (outFormat.Container == TtsContainer.Wav) PatchWavSizes(tempPath);
                    File.Move(tempPath, outPath, overwrite: true);
                }
            }
            finally
            {
                if (tempPath is not null && File.Exists(tempPath)) File.Delete(tempPath);
            }
            if (parse.GetValue(timestamps) is { } tsPath)
                await File.WriteAllTextAsync(tsPath, TimestampsJson(input, words), ct);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Text from the argument, a file or stdin; bytes must be valid UTF-8.</summary>
    private static async Task<string> ReadTextAsync(string? argument, string? file, CancellationToken ct)
    {
        if (argument is not null && file is not null) throw new UsageException("give the text or --text-file, not both");
        if (argument is not null && argument != "-") return argument;
        if (argument is null && file is null) throw new UsageException("give the text to speak, '-' for stdin, or --text-file");
        byte[] bytes;
        if (file is not null)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"no such file: {file}", file);
            if (new FileInfo(file).Length > MaxTextBytes) throw new UsageException($"{file} is larger than {MaxTextBytes} bytes");
            bytes = await File.ReadAllBytesAsync(file, ct);
        }
        else
        {
            using var ms = new MemoryStream();
            await using var stdin = Console.OpenStandardInput();
            var buffer = new byte[16384];
            int n;
            while ((n = await stdin.ReadAsync(buffer, ct)) > 0)
            {
                if (ms.Length + n > MaxTextBytes) throw new UsageException($"the text on stdin is larger than {MaxTextBytes} bytes");
                ms.Write(buffer, 0, n);
            }
            bytes = ms.ToArray();
        }
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException ex)
        {
            throw new UsageException($"the text is not valid UTF-8 (bad byte at offset {ex.Index})");
        }
    }

    private const int MaxTextBytes = 1 << 20;

    private static FileStream CreateOutput(string path)
    {
        try { return new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write {path}: {ex.Message}");
        }
    }

    /// <summary>A file on disk gets exact WAV sizes (the streamed header carries "unknown").</summary>
    private static void PatchWavSizes(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        Span<byte> header = stackalloc byte[64];
        int n = f.Read(header);
        var format = Vaani.Audio.Wav.WavReader.Read(header[..n], new Vaani.Audio.Wav.WavReadLimits()).Info.Format;
        int headerLength = Vaani.Audio.Wav.WavHeaderWriter.HeaderLength(format);
        Vaani.Audio.Wav.WavHeaderWriter.PatchSizes(format, f.Length - headerLength, header);
        f.Position = 0;
        f.Write(header[..headerLength]);
    }

    internal static string FormatFromExtension(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".pcm" or ".raw" => "pcm",
        ".ul" or ".ulaw" or ".mulaw" or ".mu" => "mulaw",
        ".al" or ".alaw" => "alaw",
        ".opus" or ".ogg" => "opus",
        _ => "wav",
    };

    internal static string TimestampsJson(string text, IReadOnlyList<TtsWord> words)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("text", text);
            w.WriteStartArray("words");
            foreach (var word in words)
            {
                w.WriteStartObject();
                w.WriteString("word", word.Word);
                w.WriteNumber("start", TranscriptFormatter.Seconds(word.Start));
                w.WriteNumber("end", TranscriptFormatter.Seconds(word.End));
                w.WriteNumber("text_offset", word.TextOffset);
                w.WriteNumber("text_length", word.TextLength);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }
}
