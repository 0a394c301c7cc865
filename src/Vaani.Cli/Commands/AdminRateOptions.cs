using System.CommandLine;
using System.Globalization;
using Vaani.Control.Admin;

namespace Vaani.Cli.Commands;

/// <summary>
/// <c>--admin-key-rate</c> and <c>--admin-address-rate</c> of the commands that run the admin API
/// (<c>serve</c>, <c>control</c>): <c>RATE[:BURST]</c>, requests per second and the most one caller
/// may send at once after a quiet spell (default four seconds' worth).
/// </summary>
internal sealed class AdminRateOptions
{
    private readonly Option<string?> _keyRate = new("--admin-key-rate")
    {
        Description = $"Admin API requests per second one key may sustain, and its burst: RATE[:BURST] (default {AdminRateLimits.Default.KeyRequestsPerSecond}:{AdminRateLimits.Default.KeyBurst})",
    };

    private readonly Option<string?> _addressRate = new("--admin-address-rate")
    {
        Description = $"Admin API requests per second one client address may sustain, whatever keys it uses: RATE[:BURST] (default {AdminRateLimits.Default.AddressRequestsPerSecond}:{AdminRateLimits.Default.AddressBurst})",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_keyRate);
        command.Options.Add(_addressRate);
    }

    public AdminRateLimits Limits(ParseResult parse)
    {
        var limits = AdminRateLimits.Default;
        if (parse.GetValue(_keyRate) is { } key)
        {
            var (rate, burst) = Parse(_keyRate.Name, key);
            limits = limits with { KeyRequestsPerSecond = rate, KeyBurst = burst };
        }

        if (parse.GetValue(_addressRate) is { } address)
        {
            var (rate, burst) = Parse(_addressRate.Name, address);
            limits = limits with { AddressRequestsPerSecond = rate, AddressBurst = burst };
        }

        return limits;
    }

    /// <summary>Parses <c>RATE[:BURST]</c>; BURST defaults to 4 × RATE and may not be below RATE.</summary>
    internal static (int Rate, int Burst) Parse(string option, string value)
    {
        var parts = value.Split(':');
        if (parts.Length > 2 || !TryPositive(parts[0], out var rate))
            throw new UsageException($"{option} '{value}': expected RATE[:BURST], whole requests per second ≥ 1 (e.g. 50 or 50:200)");
        if (parts.Length == 1)
            return (rate, checked(rate * 4));
        if (!TryPositive(parts[1], out var burst))
            throw new UsageException($"{option} '{value}': BURST must be a whole number of requests ≥ 1");
        if (burst < rate)
            throw new UsageException($"{option} '{value}': BURST ({burst}) may not be below RATE ({rate}), or the rate could never be reached");
        return (rate, burst);
    }

    private static bool TryPositive(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value is >= 1 and <= 1_000_000;
}
