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

    [Fact]
    public void EnableUnlessConfigured_VariableAlreadySet_LeavesTheOperatorsChoice()
    {
        // Already set (to 1 by the runsettings): a second call must not claim to have changed it.
        Assert.False(SocketEventLoop.EnableUnlessConfigured());
        Assert.Equal("1", Environment.GetEnvironmentVariable(SocketEventLoop.Variable));
    }
}
