using Vaani.Audio;
using Vaani.Audio.Wav;

namespace Vaani.Bench.Engines;

/// <summary>One recording: linear16 16 kHz mono samples.</summary>
internal sealed record SttClip(string Name, byte[] Pcm)
{
    public double Seconds => Pcm.Length / (double)SttCorpus.Format.BytesPerSecond;
}

/// <summary>
/// The speech used by every STT figure: the five LibriVox clips and <c>goforward.raw</c> from the
/// Debian <c>pocketsphinx-testdata</c> package. Both the engine and <c>pocketsphinx_batch</c> read
/// exactly the same samples: the WAV headers are stripped once and the CLI gets raw files.
/// </summary>
internal sealed class SttCorpus : IDisposable
{
    public static readonly AudioFormat Format = AudioFormat.Linear16(16000);
    private const string TestData = "/usr/share/pocketsphinx/test/data";

    private SttCorpus(IReadOnlyList<SttClip> clips, string directory)
    {
        Clips = clips;
        RawDirectory = directory;
    }

    public IReadOnlyList<SttClip> Clips { get; }

    /// <summary>Temporary directory holding <c>&lt;name&gt;.raw</c> for each clip and the control file <c>fileids</c>.</summary>
    public string RawDirectory { get; }

    public string ControlFile => Path.Combine(RawDirectory, "fileids");

    public double TotalSeconds => Clips.Sum(c => c.Seconds);

    public static SttCorpus Load()
    {
        var clips = new List<SttClip> { new("goforward", File.ReadAllBytes(Path.Combine(TestData, "goforward.raw"))) };
        foreach (var wav in Directory.GetFiles(Path.Combine(TestData, "librivox"), "*.wav").Order(StringComparer.Ordinal))
        {
            var audio = WavReader.Read(File.ReadAllBytes(wav));
            if (audio.Format != Format)
                throw new AudioFormatException($"{wav} is {audio.Format}; the benchmark needs {Format}");
            clips.Add(new SttClip(Path.GetFileNameWithoutExtension(wav), audio.Data));
        }
        if (clips.Count != 6)
            throw new InvalidOperationException($"expected goforward.raw and five LibriVox clips under {TestData}; found {clips.Count} files (install pocketsphinx-testdata)");
        var directory = Directory.CreateTempSubdirectory("vaani-bench-stt-").FullName;
        foreach (var clip in clips)
            File.WriteAllBytes(Path.Combine(directory, clip.Name + ".raw"), clip.Pcm);
        File.WriteAllLines(Path.Combine(directory, "fileids"), clips.Select(c => c.Name));
        return new SttCorpus(clips, directory);
    }

    public void Dispose() => Directory.Delete(RawDirectory, recursive: true);
}
