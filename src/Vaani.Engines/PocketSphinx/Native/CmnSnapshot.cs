using System.Runtime.InteropServices;

namespace Vaani.Engines.PocketSphinx.Native;

/// <summary>
/// The live cepstral-mean normalisation (CMN) state of one decoder, copied when the decoder is new
/// and written back to reset it: the only adaptive state of the decoder that
/// <c>ps_start_stream</c>/<c>ps_start_utt</c> leave alone (docs/engines-pocketsphinx.md). Read through
/// the public sphinxbase 5prealpha headers (<c>feat.h</c> <c>struct feat_s</c>, <c>cmn.h</c>
/// <c>cmn_t</c>); <see cref="TryCapture"/> refuses a layout that does not check out, and the decoder
/// then falls back to the full rebuild (<c>ps_reinit</c>).
/// </summary>
internal sealed unsafe class CmnSnapshot
{
    /// <summary>Longest cepstral vector accepted as plausible (the en-US model has 13).</summary>
    private const int MaxVectorLength = 64;

    private readonly float[] _mean;
    private readonly float[]? _variance;
    private readonly float[] _sum;
    private readonly int _frames;

    private CmnSnapshot(NativeCmn* cmn)
    {
        int n = cmn->VectorLength;
        _mean = new ReadOnlySpan<float>(cmn->Mean, n).ToArray();
        _variance = cmn->Variance is null ? null : new ReadOnlySpan<float>(cmn->Variance, n).ToArray();
        _sum = new ReadOnlySpan<float>(cmn->Sum, n).ToArray();
        _frames = cmn->Frames;
    }

    /// <summary>Copies the decoder's CMN state, or returns null when its structures do not look as the headers say.</summary>
    public static CmnSnapshot? TryCapture(IntPtr decoder)
    {
        var cmn = Find(decoder);
        return cmn is null ? null : new CmnSnapshot(cmn);
    }

    /// <summary>
    /// Writes the copied state back into the decoder's CMN structure, looked up again each time
    /// (<c>ps_reinit</c> frees and rebuilds it). False, and nothing written, when it no longer checks out.
    /// </summary>
    public bool TryRestore(IntPtr decoder)
    {
        var cmn = Find(decoder);
        if (cmn is null || cmn->VectorLength != _mean.Length || (_variance is not null && cmn->Variance is null))
            return false;
        _mean.CopyTo(new Span<float>(cmn->Mean, _mean.Length));
        if (_variance is not null)
            _variance.CopyTo(new Span<float>(cmn->Variance, _variance.Length));
        _sum.CopyTo(new Span<float>(cmn->Sum, _sum.Length));
        cmn->Frames = _frames;
        return true;
    }

    private static NativeCmn* Find(IntPtr decoder)
    {
        var feat = (NativeFeatHead*)PocketSphinxNative.ps_get_feat(decoder);
        if (feat is null)
            return null;
        var cmn = feat->CmnStruct;
        if (cmn is null || cmn->VectorLength != feat->CepstrumSize || cmn->VectorLength is <= 0 or > MaxVectorLength
            || cmn->Mean is null || cmn->Sum is null)
            return null;
        return cmn;
    }

    /// <summary><c>struct feat_s</c> (sphinxbase <c>feat.h</c>) up to <c>cmn_struct</c>; mfcc_t is float (no FIXED_POINT).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct NativeFeatHead
    {
        public int RefCount;
        public IntPtr Name;
        public int CepstrumSize;
        public int StreamCount;
        public IntPtr StreamLengths;
        public int WindowSize;
        public int SubvectorCount;
        public IntPtr SubvectorLengths;
        public IntPtr Subvectors;
        public IntPtr SubvectorBuffer;
        public int SubvectorDimension;
        public int CmnType;
        public int VarianceNormalisation;
        public int AgcType;
        public IntPtr ComputeFeature;
        public NativeCmn* CmnStruct;
    }

    /// <summary><c>cmn_t</c> (sphinxbase <c>cmn.h</c>).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct NativeCmn
    {
        public float* Mean;
        public float* Variance;
        public float* Sum;
        public int Frames;
        public int VectorLength;
    }
}
