namespace Vaani.Workers.Supervision;

/// <summary>
/// How to start a worker process. <c>{pool}</c> and <c>{socket}</c> in <see cref="Arguments"/> are
/// replaced by the pool name and the socket path the supervisor chose.
/// </summary>
public sealed record WorkerLaunchSpec
{
    public required string FileName { get; init; }
    public IReadOnlyList<string> Arguments { get; init; } = [];
    /// <summary>Extra environment variables for the worker.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
    public string? WorkingDirectory { get; init; }

    /// <summary><c>dotnet &lt;vaaniDll&gt; worker --pool {pool} --socket {socket}</c>.</summary>
    public static WorkerLaunchSpec ForVaani(string vaaniDll) => new()
    {
        FileName = "dotnet",
        Arguments = [vaaniDll, "worker", "--pool", "{pool}", "--socket", "{socket}"],
    };

    internal IEnumerable<string> ExpandArguments(string pool, string socket) =>
        Arguments.Select(a => a.Replace("{pool}", pool, StringComparison.Ordinal).Replace("{socket}", socket, StringComparison.Ordinal));
}
