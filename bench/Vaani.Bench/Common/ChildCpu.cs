using System.Runtime.InteropServices;

namespace Vaani.Bench.Common;

/// <summary>
/// CPU time (user + system) consumed by terminated, reaped child processes, from
/// <c>getrusage(RUSAGE_CHILDREN)</c>. The runtime reaps children before <see cref="System.Diagnostics.Process"/>
/// reports their exit, so the difference around one run is that run's CPU time.
/// </summary>
internal static partial class ChildCpu
{
    private const int RusageChildren = -1;

    public static TimeSpan Total()
    {
        if (getrusage(RusageChildren, out var usage) != 0)
            throw new InvalidOperationException($"getrusage(RUSAGE_CHILDREN) failed with errno {Marshal.GetLastPInvokeError()}");
        var micros = ((usage.UserSeconds + usage.SystemSeconds) * 1_000_000) + usage.UserMicros + usage.SystemMicros;
        return TimeSpan.FromMicroseconds(micros);
    }

    /// <summary>Start of <c>struct rusage</c> on 64-bit Linux: two <c>timeval</c>s, then 14 longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
        private unsafe fixed long _rest[14];
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int getrusage(int who, out RUsage usage);
}
