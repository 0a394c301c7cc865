using System.Runtime.InteropServices;

namespace Vaani.Engines.ESpeak;

/// <summary>
/// <c>espeak_VOICE</c> on x86-64 (40 bytes). <see cref="Languages"/> points at a list of
/// (priority byte, NUL-terminated UTF-8 language) pairs ended by a zero priority byte.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal unsafe struct EspeakVoice
{
    [FieldOffset(0)] public byte* Name;
    [FieldOffset(8)] public byte* Languages;
    /// <summary>File name under espeak-ng-data/voices, e.g. <c>inc/hi</c>.</summary>
    [FieldOffset(16)] public byte* Identifier;
    /// <summary>0 none, 1 male, 2 female.</summary>
    [FieldOffset(24)] public byte Gender;
    [FieldOffset(25)] public byte Age;
    [FieldOffset(26)] public byte Variant;
    [FieldOffset(27)] public byte Reserved;
    [FieldOffset(28)] public int Score;
    [FieldOffset(32)] public nint Spare;
}
