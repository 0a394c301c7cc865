namespace Vaani.Audio.Wav;

/// <summary>A whole WAV file read into memory.</summary>
/// <param name="Info">Header information; <see cref="WavInfo.Format"/> describes <paramref name="Data"/>.</param>
/// <param name="Data">Interleaved sample bytes in <see cref="WavInfo.Format"/>, whole frames only.</param>
/// <param name="IsTruncated">True when the file ended before the declared data size (the samples present are returned).</param>
public sealed record WavAudio(WavInfo Info, byte[] Data, bool IsTruncated)
{
    /// <summary>Format of <see cref="Data"/>.</summary>
    public AudioFormat Format => Info.Format;
}
