using System.Runtime.InteropServices;

namespace Vaani.Audio.Opus;

/// <summary>Owns a native <c>OpusDecoder*</c>; destroyed exactly once, even on finalization.</summary>
internal sealed class OpusDecoderHandle : SafeHandle
{
    public OpusDecoderHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal OpusDecoderHandle(IntPtr native) : this() => SetHandle(native);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        OpusNative.opus_decoder_destroy(handle);
        return true;
    }
}
