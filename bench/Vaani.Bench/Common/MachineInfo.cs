namespace Vaani.Bench.Common;

/// <summary>What the figures were measured on, printed at the top of every suite's report.</summary>
internal static class MachineInfo
{
    public static void Print(TextWriter output, string suiteCommandLine)
    {
        output.WriteLine($"command:  dotnet run -c Release --project bench/Vaani.Bench -- {suiteCommandLine}");
        output.WriteLine($"date:     {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        output.WriteLine($"machine:  nproc {Environment.ProcessorCount}, cpu '{CpuModel()}', {Environment.OSVersion}, .NET {Environment.Version}");
        output.WriteLine($"load:     {LoadAverage()} (1/5/15 min, before the run)");
    }

    public static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(' ', parts.Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
