using System.Globalization;
using Vaani.Bench.Common;
using Vaani.Bench.Gateway;

namespace Vaani.Bench.Suites;

/// <summary>
/// <c>heap [--sessions N] [--top K]</c>: what one idle native STT session holds in the gateway
/// process. Starts <c>vaani serve</c> (stt-passthrough pool), warms it up with session churn, then
/// reads the managed heap's live objects (<see cref="HeapCensus"/>) with no session and with N
/// sessions open and silent, and prints the growth per session by type, next to VmRSS growth.
/// </summary>
internal static class HeapSuite
{
    private static readonly IFormatProvider Inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        int sessions = 60, top = 40;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--sessions" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, Inv, out var n) && n is >= 1 and <= 64)
                sessions = n;
            else if (args[i] == "--top" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, Inv, out var k) && k >= 1)
                top = k;
            else
            {
                Console.Error.WriteLine($"heap: unknown or invalid option '{args[i]}' (known: --sessions 1..64, --top K)");
                return 2;
            }
            i++;
        }
        var output = Console.Out;
        output.WriteLine("# Vaani gateway: managed heap per idle STT session");
        MachineInfo.Print(output, string.Join(' ', ["heap", .. args]));
        output.WriteLine();

        await using var node = await GatewayNode.StartAsync(2, cancellationToken);
        var uri = GatewaySuite.StreamUri(node.BaseUri);
        // Per-session code paths, pools and tiered compilation reach their steady state first.
        var churn = new StreamLoad(sessions, TimeSpan.FromMilliseconds(200));
        for (int round = 0; round < 4; round++)
            await churn.RunAsync(uri, null, cancellationToken);
        await Task.Delay(2000, cancellationToken);

        var empty = HeapCensus.TryTake(node.Pid, out var error);
        if (empty is null)
        {
            Console.Error.WriteLine($"heap: cannot read process {node.Pid}: {error}");
            return 1;
        }
        long rss0 = ProcStat.RssBytes(node.Pid);
        var clients = await StreamLoad.OpenAllAsync(uri, sessions, 0, cancellationToken);
        HeapCensus? full;
        long rss1;
        try
        {
            await Task.Delay(1000, cancellationToken);
            rss1 = ProcStat.RssBytes(node.Pid);
            full = HeapCensus.TryTake(node.Pid, out error);
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.CloseAsync(TimeSpan.FromSeconds(10))));
            foreach (var c in clients) await c.DisposeAsync();
        }
        if (full is null)
        {
            Console.Error.WriteLine($"heap: cannot read process {node.Pid}: {error}");
            return 1;
        }

        output.WriteLine($"{sessions} sessions; per session: VmRSS {Kib((rss1 - rss0) / (double)sessions)}, managed live {Kib((full.LiveBytes - empty.LiveBytes) / (double)sessions)}, "
            + $"garbage not yet collected {Kib((full.DeadBytes - empty.DeadBytes) / (double)sessions)}, GC heap committed {Kib((full.CommittedBytes - empty.CommittedBytes) / (double)sessions)}");
        output.WriteLine();
        var table = new Table("live type (growth per session)", "objects", "bytes");
        var growth = HeapCensus.Growth(empty, full, sessions);
        foreach (var (type, count, bytes) in growth.Take(top))
            table.Add(Shorten(type), count.ToString("0.00", Inv), bytes.ToString("0", Inv));
        var rest = growth.Skip(top).Where(r => r.Count != 0 || r.Bytes != 0).ToList();
        table.Add($"({rest.Count} more types)", rest.Sum(r => r.Count).ToString("0.00", Inv), rest.Sum(r => r.Bytes).ToString("0", Inv));
        table.Print(output);
        return 0;
    }

    /// <summary>An async method's state machine by the method's own name, not its builder's generic type.</summary>
    private static string Shorten(string type)
    {
        foreach (var marker in new[] { "+AsyncStateMachineBox<", "+StateMachineBox<" })
        {
            int at = type.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) type = "async " + type[(at + marker.Length)..^1];
        }
        return type.Length > 120 ? type[..117] + "..." : type;
    }

    private static string Kib(double bytes) => (bytes / 1024).ToString("0.0", Inv) + " KiB";
}
