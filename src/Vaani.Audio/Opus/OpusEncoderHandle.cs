using System.Runtime.InteropServices;

namespace Vaani.Audio.Opus;

/// <summary>Owns a native <c>OpusEncoder*</c>; destroyed exactly once, even on finalization.</summary>
internal sealed class OpusEncoderHandle : SafeHandle
{
    public OpusEncoderHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal OpusEncoderHandle(IntPtr native) : this() => SetHandle(native);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        OpusNative.opus_encoder_destroy(handle);
        return true;
    }
}
