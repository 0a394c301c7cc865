using System.Net;
using System.Net.Sockets;

namespace Vaani.Gateway.Compat;

/// <summary>
/// Decides which addresses a server-side fetch (a <c>{"url"}</c> to transcribe, a callback) may
/// connect to. Internal addresses — loopback, private, link-local, carrier-grade NAT, multicast,
/// unspecified — are refused unless an allow-listed network contains them, so a request cannot
/// make the gateway reach into its own network (SSRF).
/// </summary>
public sealed class AddressPolicy(IReadOnlyList<IPNetwork> allowed)
{
    private static readonly IPNetwork[] Internal =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
        IPNetwork.Parse("64:ff9b::/96"), IPNetwork.Parse("2002::/16"),
    ];

    /// <summary>True when a fetch may connect to <paramref name="address"/>.</summary>
    public bool IsAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (allowed.Any(n => n.BaseAddress.AddressFamily == address.AddressFamily && n.Contains(address))) return true;
        return !Internal.Any(n => n.BaseAddress.AddressFamily == address.AddressFamily && n.Contains(address));
    }

    /// <summary>Resolves <paramref name="host"/> and returns its allowed addresses; throws <see cref="FetchException"/> when none is.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal)) addresses = [literal];
        else
        {
            try { addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false); }
            catch (SocketException ex) { throw new FetchException($"the host '{host}' could not be resolved: {ex.Message}"); }
        }
        var ok = addresses.Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 && IsAllowed(a)).ToArray();
        // Refuse when any resolved address is internal: a host must not straddle the boundary.
        if (ok.Length == 0 || ok.Length != addresses.Length)
            throw new FetchException($"the host '{host}' resolves to an internal address ({string.Join(", ", addresses.Where(a => !IsAllowed(a)))}), which this server does not fetch from");
        return ok;
    }
}

/// <summary>A remote fetch or delivery that was refused or failed; the message says why.</summary>
public sealed class FetchException(string message, bool isPermanent = true) : Exception(message)
{
    /// <summary>False when retrying could help (timeouts, 5xx, connection errors).</summary>
    public bool IsPermanent { get; } = isPermanent;
}
