namespace Vaani.Cli.Commands;

/// <summary>Process exit codes (sysexits.h conventions), documented in docs/cli.md.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The command line was wrong: unknown option, invalid value, unsupported language.</summary>
    public const int Usage = 64;
    /// <summary>The input data was wrong: undecodable, truncated or over a limit.</summary>
    public const int DataError = 65;
    /// <summary>An input file does not exist or cannot be read.</summary>
    public const int NoInput = 66;
    /// <summary>A required engine or tool is not available.</summary>
    public const int Unavailable = 69;
    /// <summary>An internal failure.</summary>
    public const int Software = 70;
    /// <summary>The credentials were refused (admin API 401/403).</summary>
    public const int NoPermission = 77;
    /// <summary>An output file cannot be written.</summary>
    public const int CantCreate = 73;
    /// <summary>Interrupted (Ctrl-C).</summary>
    public const int Interrupted = 130;
}
