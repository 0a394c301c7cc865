using System.Runtime.InteropServices;

namespace Vaani.Engines.ESpeak;

/// <summary>
/// <c>espeak_EVENT</c> as laid out on x86-64 (40 bytes): seven 4-byte fields, the user-data
/// pointer at 24 and the 8-byte <c>id</c> union at 32. A list of them ends with type 0.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal struct EspeakEvent
{
    /// <summary>espeak_EVENT_TYPE.</summary>
    [FieldOffset(0)] public EspeakEventType Type;
    [FieldOffset(4)] public uint UniqueIdentifier;
    /// <summary>1-based position in the input, counted in Unicode code points (not bytes, not UTF-16 units).</summary>
    [FieldOffset(8)] public int TextPosition;
    /// <summary>Word length in code points (word events).</summary>
    [FieldOffset(12)] public int Length;
    /// <summary>Milliseconds from the start of this message's audio.</summary>
    [FieldOffset(16)] public int AudioPosition;
    [FieldOffset(20)] public int Sample;
    [FieldOffset(24)] public nint UserData;
    /// <summary>The <c>id</c> union: <c>number</c> for word and sentence events.</summary>
    [FieldOffset(32)] public int Number;
    /// <summary>The <c>id</c> union: <c>name</c> (UTF-8) for mark and play events.</summary>
    [FieldOffset(32)] public nint Name;
}

/// <summary>espeak_EVENT_TYPE values.</summary>
internal enum EspeakEventType
{
    ListTerminated = 0,
    Word = 1,
    Sentence = 2,
    Mark = 3,
    Play = 4,
    End = 5,
    MessageTerminated = 6,
    Phoneme = 7,
    SampleRate = 8,
}
