using System.Runtime.InteropServices;

namespace Vaani.Engines.ESpeak;

/// <summary>
/// P/Invoke surface of libespeak-ng 1.51 (speak_lib.h, API revision 12).
/// The library is one global, non-thread-safe instance per process: every call here must be made
/// from <see cref="EspeakRuntime"/>'s synthesis thread and nowhere else.
/// </summary>
internal static unsafe partial class EspeakNative
{
    public const string Library = "libespeak-ng.so.1";

    // espeak_AUDIO_OUTPUT
    public const int AudioOutputSynchronous = 2;

    // espeak_Initialize options: without DONT_EXIT the library calls exit() when its data is missing.
    public const int InitializeDontExit = 0x8000;

    // espeak_POSITION_TYPE
    public const int PositionCharacter = 1;

    // espeak_Synth flags
    public const uint CharsUtf8 = 1;
    public const uint Ssml = 0x10;

    // espeak_PARAMETER
    public const int ParameterRate = 1;
    public const int ParameterPitch = 3;

    // espeak_ERROR
    public const int ErrorOk = 0;

    public const int RateMinimum = 80;
    public const int RateMaximum = 450;
    public const int RateNormal = 175;

    [LibraryImport(Library, EntryPoint = "espeak_Initialize")]
    public static partial int Initialize(int output, int bufferLengthMs, byte* path, int options);

    [LibraryImport(Library, EntryPoint = "espeak_SetSynthCallback")]
    public static partial void SetSynthCallback(delegate* unmanaged<short*, int, EspeakEvent*, int> callback);

    /// <summary>
    /// Decides what an SSML <c>&lt;audio&gt;</c> element does. Without a callback the library opens the
    /// <c>src</c> path itself and, for anything but 22050 Hz mono WAV, runs <c>sh -c "sox "src" ..."</c>:
    /// a request could make the worker read local files as audio and spawn a shell.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "espeak_SetUriCallback")]
    public static partial void SetUriCallback(delegate* unmanaged<int, byte*, byte*, int> callback);

    [LibraryImport(Library, EntryPoint = "espeak_Synth")]
    public static partial int Synth(byte* text, nuint size, uint position, int positionType, uint endPosition,
        uint flags, uint* uniqueIdentifier, void* userData);

    [LibraryImport(Library, EntryPoint = "espeak_SetVoiceByName")]
    public static partial int SetVoiceByName(byte* name);

    [LibraryImport(Library, EntryPoint = "espeak_SetParameter")]
    public static partial int SetParameter(int parameter, int value, int relative);

    [LibraryImport(Library, EntryPoint = "espeak_ListVoices")]
    public static partial EspeakVoice** ListVoices(EspeakVoice* voiceSpec);
}
