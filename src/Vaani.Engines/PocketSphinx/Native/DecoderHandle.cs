using System.Runtime.InteropServices;

namespace Vaani.Engines.PocketSphinx.Native;

/// <summary>
/// Owns one <c>ps_decoder_t</c> and the native argument strings it was parsed from (sphinxbase may
/// keep pointers into them for the life of the configuration, so they are freed only after the decoder).
/// </summary>
internal sealed class DecoderHandle : SafeHandle
{
    private IntPtr[] _arguments = [];

    public DecoderHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    internal void Attach(IntPtr decoder, IntPtr[] arguments)
    {
        SetHandle(decoder);
        _arguments = arguments;
    }

    protected override bool ReleaseHandle()
    {
        PocketSphinxNative.ps_free(handle);
        NativeArguments.Free(_arguments);
        _arguments = [];
        return true;
    }
}
