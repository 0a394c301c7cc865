namespace Vaani.Control.Domain;

/// <summary>
/// The routing table: which worker pool serves a language/model, which model versions receive
/// what share of traffic, and which pools to fall back to. Installation-wide (root-managed).
/// </summary>
public sealed record RouteTable(IReadOnlyList<Route> Routes)
{
    public static RouteTable Empty { get; } = new([]);

    /// <summary>Throws <see cref="ControlException"/> listing every problem at once.</summary>
    public void Validate()
    {
        var errors = new List<string>();
        var seen = new HashSet<(string, string, string)>();
        for (var i = 0; i < Routes.Count; i++)
        {
            var r = Routes[i];
            if (string.IsNullOrWhiteSpace(r.Language)) errors.Add($"routes[{i}].language is required");
            if (string.IsNullOrWhiteSpace(r.Model)) errors.Add($"routes[{i}].model is required");
            if (string.IsNullOrWhiteSpace(r.Pool)) errors.Add($"routes[{i}].pool is required");
            if (!seen.Add((r.Kind.ToString(), r.Language ?? "", r.Model ?? ""))) errors.Add($"routes[{i}] duplicates kind/language/model {r.Kind}/{r.Language}/{r.Model}");
            var versions = r.Versions ?? [];
            for (var v = 0; v < versions.Count; v++)
            {
                if (string.IsNullOrWhiteSpace(versions[v].Version)) errors.Add($"routes[{i}].versions[{v}].version is required");
                if (versions[v].Weight < 0) errors.Add($"routes[{i}].versions[{v}].weight must be >= 0");
            }

            if (versions.Count > 0 && versions.Sum(v => v.Weight) <= 0) errors.Add($"routes[{i}].versions weights must not all be 0");
        }

        if (errors.Count > 0)
        {
            throw new ControlException(ControlErrorCode.InvalidRequest, "Invalid routes: " + string.Join("; ", errors) + ".");
        }
    }
}

/// <summary>One routing rule: <see cref="Kind"/> + <see cref="Language"/> + <see cref="Model"/> → pool.</summary>
public sealed record Route(
    UsageKind Kind,
    string Language,
    string Model,
    string Pool,
    IReadOnlyList<ModelVersionWeight> Versions,
    IReadOnlyList<string> FallbackPools);

/// <summary>A model version and its relative traffic weight within a route.</summary>
public sealed record ModelVersionWeight(string Version, int Weight);
