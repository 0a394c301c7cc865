using System.Runtime.InteropServices;

namespace Vaani.Audio.Opus;

/// <summary>
/// P/Invoke surface of libopus (Debian package libopus0).
/// </summary>
/// <remarks>
/// <c>opus_encoder_ctl</c>/<c>opus_decoder_ctl</c> are C variadic functions. .NET cannot call
/// varargs on Unix, so they are bound as fixed-arity overloads with one <c>int</c> (set) or one
/// <c>int*</c> (get) argument. That is sound on x86-64 System V and Linux AArch64, where variadic
/// integer/pointer arguments travel in the same registers as fixed ones (on x86-64 the callee's
/// use of %al only decides whether vector registers are spilled). It would not be sound on
/// Apple AArch64, where variadic arguments go on the stack. Tests read every setting back.
/// </remarks>
internal static unsafe partial class OpusNative
{
    internal const string Library = "libopus.so.0";

    internal const int OPUS_OK = 0;
    internal const int OPUS_SET_BITRATE_REQUEST = 4002;
    internal const int OPUS_GET_BITRATE_REQUEST = 4003;
    internal const int OPUS_GET_LOOKAHEAD_REQUEST = 4027;
    internal const int OPUS_SET_GAIN_REQUEST = 4034;
    internal const int OPUS_GET_GAIN_REQUEST = 4045;

    [LibraryImport(Library)]
    internal static partial IntPtr opus_encoder_create(int fs, int channels, int application, out int error);

    [LibraryImport(Library)]
    internal static partial void opus_encoder_destroy(IntPtr st);

    [LibraryImport(Library)]
    internal static partial int opus_encode(OpusEncoderHandle st, short* pcm, int frameSize, byte* data, int maxDataBytes);

    [LibraryImport(Library, EntryPoint = "opus_encoder_ctl")]
    internal static partial int opus_encoder_ctl_set(OpusEncoderHandle st, int request, int value);

    [LibraryImport(Library, EntryPoint = "opus_encoder_ctl")]
    internal static partial int opus_encoder_ctl_get(OpusEncoderHandle st, int request, int* value);

    [LibraryImport(Library)]
    internal static partial IntPtr opus_decoder_create(int fs, int channels, out int error);

    [LibraryImport(Library)]
    internal static partial void opus_decoder_destroy(IntPtr st);

    [LibraryImport(Library)]
    internal static partial int opus_decode(OpusDecoderHandle st, byte* data, int len, short* pcm, int frameSize, int decodeFec);

    [LibraryImport(Library, EntryPoint = "opus_decoder_ctl")]
    internal static partial int opus_decoder_ctl_set(OpusDecoderHandle st, int request, int value);

    [LibraryImport(Library, EntryPoint = "opus_decoder_ctl")]
    internal static partial int opus_decoder_ctl_get(OpusDecoderHandle st, int request, int* value);

    [LibraryImport(Library)]
    internal static partial int opus_packet_get_nb_samples(byte* packet, int len, int fs);

    [LibraryImport(Library)]
    internal static partial IntPtr opus_strerror(int error);

    [LibraryImport(Library)]
    internal static partial IntPtr opus_get_version_string();

    /// <summary>libopus's own text for an error code.</summary>
    internal static string ErrorText(int error) =>
        Marshal.PtrToStringUTF8(opus_strerror(error)) ?? $"opus error {error}";
}
