using System.Security.Cryptography;
using System.Text;
using Vaani.Control.Usage;
using Vaani.Gateway.Control;

namespace Vaani.Cli.Commands;

/// <summary>Settings shared by the commands that run a control plane or talk to one: data directory, keys, staleness.</summary>
internal static class ControlPlaneSetup
{
    public const string DataDirVariable = "VAANI_DATA_DIR";
    public const string ApiKeyVariable = "VAANI_API_KEY";
    public const string ControlKeyVariable = "VAANI_CONTROL_KEY";
    public const string TokenKeyVariable = "VAANI_TOKEN_SIGNING_KEY";
    public const string TokenKeyFile = "token-signing.key";

    /// <summary><c>--data-dir</c>, else <c>$VAANI_DATA_DIR</c>, else <c>$XDG_DATA_HOME/vaani</c>, else <c>~/.local/share/vaani</c>.</summary>
    public static string DataDirectory(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option)) return Path.GetFullPath(option);
        if (Environment.GetEnvironmentVariable(DataDirVariable) is { Length: > 0 } env) return Path.GetFullPath(env);
        if (Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "vaani");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "vaani");
    }

    /// <summary>Creates <paramref name="path"/> readable by its owner only (it holds the store and keys).</summary>
    public static void EnsurePrivateDirectory(string path)
    {
        Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>
    /// The token signing key: <c>$VAANI_TOKEN_SIGNING_KEY</c> (base64 or hex, ≥ 32 bytes) if set;
    /// else derived from <paramref name="controlKey"/> (every gateway of one installation holds the
    /// same control key, so they agree without extra configuration); else a random key kept in
    /// <c>{data dir}/token-signing.key</c> (single node).
    /// </summary>
    public static byte[] TokenSigningKey(string? dataDirectory, string? controlKey)
    {
        if (Environment.GetEnvironmentVariable(TokenKeyVariable) is { Length: > 0 } configured)
        {
            var bytes = TryDecode(configured.Trim());
            if (bytes is null || bytes.Length < 32)
                throw new UsageException($"{TokenKeyVariable} must be at least 32 bytes, base64 or hex (e.g. 'openssl rand -base64 32')");
            return bytes;
        }

        if (controlKey is not null)
            return HMACSHA256.HashData(Encoding.UTF8.GetBytes(controlKey), "vaani token signing v1"u8);
        if (dataDirectory is null) throw new UsageException($"set {TokenKeyVariable} (no data directory to keep a token signing key in)");
        var path = Path.Combine(dataDirectory, TokenKeyFile);
        if (File.Exists(path))
        {
            var stored = TryDecode(File.ReadAllText(path).Trim());
            if (stored is { Length: >= 32 }) return stored;
            throw new UsageException($"{path} does not hold a valid token signing key; delete it to make a new one (issued tokens then stop working)");
        }

        var key = RandomNumberGenerator.GetBytes(32);
        var temp = path + ".tmp";
        File.WriteAllText(temp, Convert.ToBase64String(key));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
        return key;
    }

    private static byte[]? TryDecode(string value)
    {
        try { return value.Length % 2 == 0 && value.All(Uri.IsHexDigit) ? Convert.FromHexString(value) : Convert.FromBase64String(value); }
        catch (FormatException) { return null; }
    }

    /// <summary>Spool and delivery settings of a gateway.</summary>
    public static UsageDeliveryOptions Delivery => new() { PollInterval = TimeSpan.FromSeconds(2), MaxBackoff = TimeSpan.FromSeconds(10) };

    /// <summary>Prints a newly generated root key once, on stderr.</summary>
    public static void AnnounceRootKey(ControlServer control)
    {
        if (control.GeneratedRootKey is { } created)
        {
            Console.Error.WriteLine("vaani: created the root API key (shown once; it is stored hashed):");
            Console.Error.WriteLine();
            Console.Error.WriteLine($"    export VAANI_API_KEY={created.Secret}");
            Console.Error.WriteLine();
            Console.Error.WriteLine("vaani: send it as 'Authorization: Token <key>'; manage tenants and keys with 'vaani admin' (VAANI_ADMIN_KEY).");
        }
        else if (control.ConfiguredKeyCreated)
        {
            Console.Error.WriteLine($"vaani: root API key from {ApiKeyVariable} registered");
        }
        else
        {
            Console.Error.WriteLine($"vaani: authentication is on: use the root key printed at first start (or {ApiKeyVariable})");
        }
    }
}
