namespace Vaani.Control.Domain;

/// <summary>What an API key may do. Wire names: <c>stt</c>, <c>tts</c>, <c>admin</c>, <c>edge</c>.</summary>
[Flags]
public enum ApiKeyScopes
{
    None = 0,
    Stt = 1,
    Tts = 2,
    Admin = 4,

    /// <summary>
    /// A data-plane node's credential: read the control snapshot and deliver usage, nothing else
    /// (no admin call, no speech). Only keys of the default tenant may carry it.
    /// </summary>
    Edge = 8,
}

/// <summary>Conversions between <see cref="ApiKeyScopes"/> and their wire names.</summary>
public static class ApiKeyScopeNames
{
    public const string Stt = "stt";
    public const string Tts = "tts";
    public const string Admin = "admin";
    public const string Edge = "edge";

    /// <summary>Parses one scope name; null when unknown.</summary>
    public static ApiKeyScopes? TryParseOne(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        Stt => ApiKeyScopes.Stt,
        Tts => ApiKeyScopes.Tts,
        Admin => ApiKeyScopes.Admin,
        Edge => ApiKeyScopes.Edge,
        _ => null,
    };

    /// <summary>Parses a list of names; throws <see cref="ControlException"/> naming the unknown one.</summary>
    public static ApiKeyScopes Parse(IEnumerable<string> names)
    {
        var result = ApiKeyScopes.None;
        foreach (var name in names)
        {
            result |= TryParseOne(name) ?? throw new ControlException(ControlErrorCode.InvalidRequest,
                $"Unknown scope '{name}': expected one of stt, tts, admin, edge.");
        }

        return result;
    }

    public static IReadOnlyList<string> ToNames(ApiKeyScopes scopes)
    {
        var list = new List<string>(4);
        if (scopes.HasFlag(ApiKeyScopes.Stt)) list.Add(Stt);
        if (scopes.HasFlag(ApiKeyScopes.Tts)) list.Add(Tts);
        if (scopes.HasFlag(ApiKeyScopes.Admin)) list.Add(Admin);
        if (scopes.HasFlag(ApiKeyScopes.Edge)) list.Add(Edge);
        return list;
    }
}
