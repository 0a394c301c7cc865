using System.Net;

namespace Vaani.Gateway.Compat;

/// <summary>
/// Settings of the Deepgram- and OpenAI-compatible APIs: remote fetch (<c>{"url"}</c> bodies and
/// <c>callback=</c> deliveries) and audio transcoding limits. Defaults are documented in
/// docs/compat-deepgram.md and docs/compat-openai.md.
/// </summary>
public sealed record CompatOptions
{
    /// <summary>Environment variable holding extra networks remote fetches may reach (comma-separated CIDRs).</summary>
    public const string FetchAllowVariable = "VAANI_FETCH_ALLOW";

    /// <summary>
    /// Networks a remote fetch or callback may reach even though they are loopback, private,
    /// link-local or otherwise internal. Empty (the default) allows only public addresses.
    /// </summary>
    public IReadOnlyList<IPNetwork> FetchAllowedNetworks { get; init; } = [];
    /// <summary>Largest body fetched from a <c>{"url"}</c>.</summary>
    public long MaxFetchBytes { get; init; } = 100L * 1024 * 1024;
    /// <summary>Deadline for one remote fetch (connect + download).</summary>
    public TimeSpan FetchTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Redirects followed by a fetch; each hop is checked against the address policy.</summary>
    public int MaxFetchRedirects { get; init; } = 3;

    /// <summary>Attempts to deliver one callback before it is given up.</summary>
    public int CallbackAttempts { get; init; } = 5;
    /// <summary>Deadline of one callback attempt.</summary>
    public TimeSpan CallbackTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>First retry delay; doubled per attempt, with full jitter.</summary>
    public TimeSpan CallbackBackoff { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Longest a callback job (transcription plus deliveries) may run.</summary>
    public TimeSpan CallbackDeadline { get; init; } = TimeSpan.FromMinutes(15);
    /// <summary>Callback jobs running at once; more are refused with 429.</summary>
    public int MaxPendingCallbacks { get; init; } = 64;

    /// <summary>Deadline for transcoding one synthesis through ffmpeg (mp3, flac, aac).</summary>
    public TimeSpan TranscodeTimeout { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>Largest transcoded output.</summary>
    public long MaxTranscodeBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>A streaming socket that receives no audio for this long is closed (Deepgram: 1011 NET-0001).</summary>
    public TimeSpan NoAudioTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Defaults plus networks from <see cref="FetchAllowVariable"/> (used by <c>vaani serve</c>).</summary>
    public static CompatOptions FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(FetchAllowVariable);
        if (string.IsNullOrWhiteSpace(value)) return new CompatOptions();
        var networks = new List<IPNetwork>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPNetwork.TryParse(part, out var network))
                throw new ArgumentException($"{FetchAllowVariable}: '{part}' is not a network in CIDR notation (e.g. 127.0.0.0/8)");
            networks.Add(network);
        }
        return new CompatOptions { FetchAllowedNetworks = networks };
    }
}
