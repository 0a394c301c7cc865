using System.Globalization;
using System.Runtime.InteropServices;

namespace Vaani.Bench.Gateway;

/// <summary>
/// CPU time and resident memory of another process, from <c>/proc/&lt;pid&gt;/stat</c> (utime + stime,
/// the process's own threads only, not its children) and <c>/proc/&lt;pid&gt;/status</c> (VmRSS).
/// </summary>
internal static partial class ProcStat
{
    private const int ScClkTck = 2;
    private static readonly long TicksPerSecond = Math.Max(1, sysconf(ScClkTck));

    public static TimeSpan Cpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long utime = long.Parse(fields[11], CultureInfo.InvariantCulture); // field 14
        long stime = long.Parse(fields[12], CultureInfo.InvariantCulture); // field 15
        return TimeSpan.FromSeconds((utime + stime) / (double)TicksPerSecond);
    }

    /// <summary>
    /// CPU time (utime + stime) of every live thread of <paramref name="pid"/>, by thread id, with the
    /// thread's name (<c>/proc/&lt;pid&gt;/task/*/stat</c>; the kernel keeps 15 characters of it).
    /// </summary>
    public static Dictionary<int, (string Name, TimeSpan Cpu)> ThreadCpu(int pid)
    {
        var threads = new Dictionary<int, (string, TimeSpan)>();
        foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                threads[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = (stat[(open + 1)..close], TimeSpan.FromSeconds(ticks / (double)TicksPerSecond));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The thread ended between listing and reading.
            }
        }
        return threads;
    }

    /// <summary>
    /// CPU used between two <see cref="ThreadCpu"/> snapshots, summed by thread role: the name with
    /// its numbers replaced by <c>#</c> (".NET TP Worker", "vaani worker #"), so a pool's threads add up.
    /// Threads that ended in between are not in the result.
    /// </summary>
    public static Dictionary<string, TimeSpan> CpuByRole(Dictionary<int, (string Name, TimeSpan Cpu)> before, Dictionary<int, (string Name, TimeSpan Cpu)> after)
    {
        var roles = new Dictionary<string, TimeSpan>();
        foreach (var (tid, (name, cpu)) in after)
        {
            var used = cpu - (before.TryGetValue(tid, out var b) ? b.Cpu : TimeSpan.Zero);
            var role = DigitRun().Replace(name.Trim(), "#");
            roles[role] = roles.GetValueOrDefault(role) + used;
        }
        return roles;
    }

    [System.Text.RegularExpressions.GeneratedRegex("[0-9]+")]
    private static partial System.Text.RegularExpressions.Regex DigitRun();

    /// <summary>
    /// Context switches of every live thread of <paramref name="pid"/> (voluntary + involuntary, from
    /// <c>/proc/&lt;pid&gt;/task/*/status</c>); a thread that already exited no longer counts.
    /// </summary>
    public static long ContextSwitches(int pid)
    {
        long total = 0;
        foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        total += long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The thread ended between listing and reading.
            }
        }
        return total;
    }

    public static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException($"/proc/{pid}/status has no VmRSS line");
    }

    /// <summary>The direct children of <paramref name="pid"/> (all its threads).</summary>
    public static IReadOnlyList<int> Children(int pid)
    {
        var children = new List<int>();
        if (!Directory.Exists($"/proc/{pid}/task"))
            throw new InvalidOperationException($"process {pid} is gone (did it outlive its time limit?)");
        foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            var path = Path.Combine(task, "children");
            if (!File.Exists(path)) continue;
            children.AddRange(File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)));
        }
        return children;
    }

    public static string CommandLine(int pid) => File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long sysconf(int name);
}
