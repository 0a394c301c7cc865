using System.Runtime.InteropServices;

namespace Vaani.Engines.PocketSphinx.Native;

/// <summary>argv-style UTF-8 strings in native memory, for <c>cmd_ln_parse_r</c>.</summary>
internal static class NativeArguments
{
    public static IntPtr[] Allocate(IReadOnlyList<string> arguments)
    {
        var result = new IntPtr[arguments.Count];
        for (var i = 0; i < arguments.Count; i++)
            result[i] = Marshal.StringToCoTaskMemUTF8(arguments[i]);
        return result;
    }

    public static void Free(IntPtr[] arguments)
    {
        foreach (var p in arguments)
            Marshal.FreeCoTaskMem(p);
    }
}
