namespace Vaani.Cli.Tests;

public sealed class ServeCommandTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    public async Task Serve_DecodersOutOfRange_UsageErrorBeforeAnyWorkerStarts(string decoders)
    {
        var result = await CliProcess.RunAsync("serve", "--no-auth", "--port", "0", "--decoders", decoders, "--data-dir", CliProcess.Temp($"serve-decoders-{decoders}"));

        Assert.Equal(64, result.ExitCode);
        Assert.Contains($"--decoders {decoders} is out of range: it must be between 1 and 64", result.Stderr);
        Assert.DoesNotContain("starting workers", result.Stderr);
    }
}
