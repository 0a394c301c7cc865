using Vaani.Gateway.Hosting;

namespace Vaani.Gateway.Tests;

public class SocketEventLoopTests
{
    /// <summary>The suite runs the way the gateway runs in production (inline-completions.runsettings).</summary>
    [Fact]
    public void TestProcess_RunsSocketCompletionsInline()
    {
        Assert.True(SocketEventLoop.IsEnabled, $"{SocketEventLoop.Variable} is not 1 in the test process: the runsettings file was not applied");
    }

    /// <summary>One event loop, as vaani serve runs on the 2-core machines this suite runs on.</summary>
    [Fact]
    public async Task TestProcess_RunsOneEventLoop()
    {
        Assert.Equal("1", Environment.GetEnvironmentVariable(SocketEventLoop.ThreadCountVariable));
        // An asynchronous socket operation makes sure the runtime has started its epoll thread(s).
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, ((System.Net.IPEndPoint)listener.LocalEndpoint).Port);
        using var accepted = await listener.AcceptTcpClientAsync();
        var loops = Directory.GetDirectories("/proc/self/task").Count(task => ThreadName(task) == ".NET Sockets");
        Assert.Equal(1, loops);
    }

    /// <summary>A thread's name, or null when it ended since its directory was listed.</summary>
    private static string? ThreadName(string taskDirectory)
    {
        try { return File.ReadAllText(Path.Combine(taskDirectory, "comm")).Trim(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    }

    [Fact]
    public void EnableUnlessConfigured_VariableAlreadySet_LeavesTheOperatorsChoice()
    {
        // Already set (to 1 by the runsettings): a second call must not claim to have changed it.
        Assert.False(SocketEventLoop.EnableUnlessConfigured());
        Assert.Equal("1", Environment.GetEnvironmentVariable(SocketEventLoop.Variable));
    }

    [Fact]
    public void WorkerEnvironment_CountSizedHere_BlankedSoWorkersGetTheRuntimeDefault()
    {
        var sized = SocketEventLoop.WorkerEnvironment(sizedHere: true);
        Assert.Equal(SocketEventLoop.WorkerValue, sized[SocketEventLoop.Variable]);
        Assert.Equal("", sized[SocketEventLoop.ThreadCountVariable]);

        // The operator's own count (set before start) is inherited as set: nothing overrides it.
        var operators = SocketEventLoop.WorkerEnvironment(sizedHere: false);
        Assert.Equal(SocketEventLoop.WorkerValue, operators[SocketEventLoop.Variable]);
        Assert.False(operators.ContainsKey(SocketEventLoop.ThreadCountVariable));
    }
}
