using System.Runtime.InteropServices;

namespace Vaani.Audio.Containers;

/// <summary>Audio decoded from an uploaded container: mono linear16 at the requested rate.</summary>
/// <param name="Format">Always linear16, mono, at the requested sample rate.</param>
/// <param name="Container">The container recognised from the input's magic bytes.</param>
/// <param name="Data">Little-endian 16-bit samples.</param>
public sealed record DecodedAudio(AudioFormat Format, AudioContainer Container, byte[] Data)
{
    /// <summary>The samples as 16-bit values (little-endian hosts).</summary>
    public ReadOnlySpan<short> Samples => MemoryMarshal.Cast<byte, short>(Data);

    /// <summary>Length of the decoded audio.</summary>
    public TimeSpan Duration => Format.DurationOf(Data.Length);
}
