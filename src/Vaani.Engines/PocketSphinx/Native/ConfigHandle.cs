using System.Runtime.InteropServices;

namespace Vaani.Engines.PocketSphinx.Native;

/// <summary>Owns one reference to a sphinxbase <c>cmd_ln_t</c> configuration.</summary>
internal sealed class ConfigHandle : SafeHandle
{
    public ConfigHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal ConfigHandle(IntPtr config) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(config);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        PocketSphinxNative.cmd_ln_free_r(handle);
        return true;
    }
}
