using System.CommandLine;
using Vaani.Audio;
using Vaani.Engines;

namespace Vaani.Cli.Commands;

/// <summary>Parses, runs, and turns failures into one clear line on stderr plus an exit code.</summary>
internal static class CliRunner
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine($"vaani: {error.Message}");
            Console.Error.WriteLine("Run 'vaani --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (Exception ex)
        {
            var (code, message) = Classify(ex);
            Console.Error.WriteLine($"vaani: {message}");
            return code;
        }
    }

    internal static (int Code, string Message) Classify(Exception ex) => ex switch
    {
        UsageException u => (ExitCodes.Usage, u.Message),
        AdminApiException a => (AdminCommand.ExitCodeOf(a), AdminCommand.Format(a)),
        AudioFormatException a => (ExitCodes.DataError, a.Message),
        EngineException { IsPermanent: true } e => (ExitCodes.Usage, e.Message),
        EngineException e => (ExitCodes.Unavailable, e.Message),
        FileNotFoundException f => (ExitCodes.NoInput, $"no such file: {f.FileName ?? f.Message}"),
        DirectoryNotFoundException d => (ExitCodes.NoInput, d.Message),
        UnauthorizedAccessException u => (ExitCodes.NoInput, u.Message),
        OperationCanceledException => (ExitCodes.Interrupted, "interrupted"),
        DllNotFoundException d => (ExitCodes.Unavailable, $"a native engine library is missing ({d.Message}); run scripts/setup.sh"),
        _ => (ExitCodes.Software, $"internal error: {ex.GetType().Name}: {ex.Message}"),
    };
}

/// <summary>A command-line mistake the user can fix; the message says how.</summary>
internal sealed class UsageException(string message) : Exception(message);
