using System.Buffers.Binary;

namespace Vaani.Engines.Tests.TestData;

/// <summary>Real speech from the Debian <c>pocketsphinx-testdata</c> package.</summary>
public static class SpeechTestData
{
    public const string Directory = "/usr/share/pocketsphinx/test/data";

    /// <summary>"go forward ten meters", 16 kHz 16-bit mono raw PCM.</summary>
    public static string GoForwardPath => Path.Combine(Directory, "goforward.raw");

    public static byte[] GoForward() => File.ReadAllBytes(GoForwardPath);

    /// <summary>One LibriVox clip with its reference transcription.</summary>
    public sealed record Clip(string Id, string WavPath, string Transcript);

    /// <summary>The LibriVox clips listed in <c>librivox/fileids</c>, with transcripts from <c>librivox/transcription</c>.</summary>
    public static IReadOnlyList<Clip> Librivox()
    {
        var dir = Path.Combine(Directory, "librivox");
        var transcripts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(Path.Combine(dir, "transcription")))
        {
            // "<s> words </s> (id)"
            var open = line.LastIndexOf('(');
            if (open < 0)
                continue;
            var id = line[(open + 1)..line.LastIndexOf(')')].Trim();
            var text = line[..open].Replace("<s>", "", StringComparison.Ordinal).Replace("</s>", "", StringComparison.Ordinal).Trim();
            transcripts[id] = text;
        }
        return File.ReadAllLines(Path.Combine(dir, "fileids"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0)
            .Select(id => new Clip(id, Path.Combine(dir, id + ".wav"), transcripts[id]))
            .ToList();
    }

    /// <summary>The PCM payload of a 16-bit mono 16 kHz WAV file (validated, not assumed).</summary>
    public static byte[] ReadWavPcm16k(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var span = bytes.AsSpan();
        if (span.Length < 12 || !span[..4].SequenceEqual("RIFF"u8) || !span[8..12].SequenceEqual("WAVE"u8))
            throw new InvalidDataException($"{path} is not a RIFF/WAVE file");
        var pos = 12;
        var formatOk = false;
        while (pos + 8 <= span.Length)
        {
            var id = span.Slice(pos, 4);
            var size = BinaryPrimitives.ReadInt32LittleEndian(span.Slice(pos + 4, 4));
            var body = span.Slice(pos + 8, Math.Min(size, span.Length - pos - 8));
            if (id.SequenceEqual("fmt "u8))
            {
                formatOk = BinaryPrimitives.ReadInt16LittleEndian(body) == 1
                    && BinaryPrimitives.ReadInt16LittleEndian(body[2..]) == 1
                    && BinaryPrimitives.ReadInt32LittleEndian(body[4..]) == 16000
                    && BinaryPrimitives.ReadInt16LittleEndian(body[14..]) == 16;
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (!formatOk)
                    throw new InvalidDataException($"{path} is not 16-bit mono 16 kHz PCM");
                return body.ToArray();
            }
            pos += 8 + size + (size & 1);
        }
        throw new InvalidDataException($"{path} has no data chunk");
    }

    /// <summary>Low-level deterministic noise (room tone), so VAD noise tracking behaves as on real input.</summary>
    public static byte[] RoomTone(TimeSpan duration, int amplitude = 40, int seed = 7)
    {
        var samples = (int)(duration.TotalSeconds * 16000);
        var bytes = new byte[samples * 2];
        var random = new Random(seed);
        for (var i = 0; i < samples; i++)
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(i * 2), (short)random.Next(-amplitude, amplitude + 1));
        return bytes;
    }
}
