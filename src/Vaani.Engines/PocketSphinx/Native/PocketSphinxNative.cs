using System.Runtime.InteropServices;

namespace Vaani.Engines.PocketSphinx.Native;

/// <summary>
/// P/Invoke declarations for the PocketSphinx 5prealpha C API (Debian <c>libpocketsphinx3</c> /
/// <c>libsphinxbase3</c>, 0.8+5prealpha). The headers of that release are not installed; the
/// signatures follow its public <c>pocketsphinx.h</c>: <c>ps_start_utt(ps)</c> takes no utterance id,
/// <c>ps_get_hyp(ps, &amp;score)</c> takes no id out-parameter and <c>ps_seg_iter(ps)</c> takes no score.
/// None of these functions is safe to call concurrently on the same decoder.
/// </summary>
internal static unsafe partial class PocketSphinxNative
{
    private const string PocketSphinx = "libpocketsphinx.so.3";
    private const string SphinxBase = "libsphinxbase.so.3";

    [LibraryImport(PocketSphinx, EntryPoint = "ps_args")]
    internal static partial IntPtr ps_args();

    [LibraryImport(SphinxBase, EntryPoint = "cmd_ln_parse_r")]
    internal static partial IntPtr cmd_ln_parse_r(IntPtr inoutConfig, IntPtr definitions, int argc, IntPtr* argv, int strict);

    [LibraryImport(SphinxBase, EntryPoint = "cmd_ln_free_r")]
    internal static partial int cmd_ln_free_r(IntPtr config);

    /// <summary>Sets the process-wide log stream of sphinxbase; <c>NULL</c> disables logging.</summary>
    [LibraryImport(SphinxBase, EntryPoint = "err_set_logfp")]
    internal static partial void err_set_logfp(IntPtr file);

    [LibraryImport(PocketSphinx, EntryPoint = "ps_init")]
    internal static partial IntPtr ps_init(IntPtr config);

    /// <summary>Rebuilds every model and search of the decoder from its configuration (NULL = current).</summary>
    [LibraryImport(PocketSphinx, EntryPoint = "ps_reinit")]
    internal static partial int ps_reinit(IntPtr decoder, IntPtr config);

    [LibraryImport(PocketSphinx, EntryPoint = "ps_free")]
    internal static partial int ps_free(IntPtr decoder);

    /// <summary>The decoder's feature computation (<c>feat_t</c>, owned by the decoder; rebuilt by <c>ps_reinit</c>).</summary>
    [LibraryImport(PocketSphinx, EntryPoint = "ps_get_feat")]
    internal static partial IntPtr ps_get_feat(IntPtr decoder);

    [LibraryImport(PocketSphinx, EntryPoint = "ps_start_stream")]
    internal static partial int ps_start_stream(IntPtr decoder);

    [LibraryImport(PocketSphinx, EntryPoint = "ps_start_utt")]
    internal static partial int ps_start_utt(IntPtr decoder);

    [LibraryImport(PocketSphinx, EntryPoint = "ps_process_raw")]
    internal static partial int ps_process_raw(IntPtr decoder, short* data, nuint sampleCount, int noSearch, int fullUtterance);

    [LibraryImport(PocketSphinx, EntryPoint = "ps_end_utt")]
    internal static partial int ps_end_utt(IntPtr decoder);

    [LibraryImport(PocketSphinx, EntryPoint = "ps_get_in_speech")]
    internal static partial byte ps_get_in_speech(IntPtr decoder);

    /// <summary>Returns a string owned by the decoder (valid until the next call on it), or NULL.</summary>
    [LibraryImport(PocketSphinx, EntryPoint = "ps_get_hyp")]
    internal static partial IntPtr ps_get_hyp(IntPtr decoder, out int bestScore);

    [LibraryImport(PocketSphinx, EntryPoint = "ps_get_logmath")]
    internal static partial IntPtr ps_get_logmath(IntPtr decoder);

    [LibraryImport(PocketSphinx, EntryPoint = "ps_seg_iter")]
    internal static partial IntPtr ps_seg_iter(IntPtr decoder);

    /// <summary>Advances the iterator; frees it and returns NULL at the end.</summary>
    [LibraryImport(PocketSphinx, EntryPoint = "ps_seg_next")]
    internal static partial IntPtr ps_seg_next(IntPtr segment);

    [LibraryImport(PocketSphinx, EntryPoint = "ps_seg_word")]
    internal static partial IntPtr ps_seg_word(IntPtr segment);

    [LibraryImport(PocketSphinx, EntryPoint = "ps_seg_frames")]
    internal static partial void ps_seg_frames(IntPtr segment, out int startFrame, out int endFrame);

    [LibraryImport(PocketSphinx, EntryPoint = "ps_seg_prob")]
    internal static partial int ps_seg_prob(IntPtr segment, out int acousticScore, out int languageScore, out int languageBackoff);

    [LibraryImport(PocketSphinx, EntryPoint = "ps_seg_free")]
    internal static partial void ps_seg_free(IntPtr segment);

    [LibraryImport(SphinxBase, EntryPoint = "logmath_exp")]
    internal static partial double logmath_exp(IntPtr logmath, int logValue);
}
