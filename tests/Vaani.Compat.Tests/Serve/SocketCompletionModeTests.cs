using Vaani.Compat.Tests.Infrastructure;

namespace Vaani.Compat.Tests.Serve;

/// <summary>
/// <c>vaani serve</c> runs socket completions inline in its own process and leaves its engine
/// workers on the thread pool (docs/cli.md, "Socket completions"). Checked on the live server
/// from outside, through /proc.
/// </summary>
[Collection(VaaniServerCollection.Name)]
public sealed class SocketCompletionModeTests(VaaniServer server)
{
    private const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    [Fact]
    public void Serve_WorkerProcesses_KeepCompletionsOnTheThreadPool()
    {
        var workers = VaaniServer.Descendants(server.ServePid)
            .Where(pid => VaaniServer.CommandLine(pid).Contains(" worker --pool ", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(workers);
        foreach (var pid in workers)
        {
            var environment = File.ReadAllText($"/proc/{pid}/environ").Split('\0');
            Assert.Contains($"{Variable}=0", environment);
        }
    }

    [Fact]
    public void Serve_GatewayProcess_HasOneEpollThreadPerFourCores()
    {
        // vaani serve sizes its event loop (docs/cli.md, "Socket completions"): one epoll thread per
        // four cores, at least one. Below 8 cores that equals the runtime's default without inline
        // completions; the count still shows the setting was in effect before the first socket.
        var pid = server.ServePid;
        var epollThreads = Directory.GetDirectories($"/proc/{pid}/task")
            .Count(task => File.ReadAllText(Path.Combine(task, "comm")).Trim() == ".NET Sockets");
        int expected = Math.Max(1, Environment.ProcessorCount / 4);
        Assert.True(epollThreads == expected,
            $"vaani serve has {epollThreads} epoll thread(s) on {Environment.ProcessorCount} cores, expected {expected}: DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT was not in effect before its first socket");
    }
}
