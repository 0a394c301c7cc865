using System.CommandLine;
using System.Globalization;
using Vaani.Engines.ESpeak;
using Vaani.Engines.PocketSphinx;
using Vaani.Workers.Catalog;
using Vaani.Workers.Hosting;

namespace Vaani.Cli.Commands;

/// <summary>
/// <c>vaani worker --pool NAME --socket PATH</c>: one engine-pool worker process. Started and
/// supervised by <c>vaani serve</c>; the pool name on its command line says what it hosts.
/// </summary>
public static class WorkerCommand
{
    /// <summary>Environment variable with the PocketSphinx decoder count per worker.</summary>
    public const string DecodersVariable = "VAANI_STT_DECODERS";

    internal static Command Create()
    {
        var pool = new Option<string>("--pool") { Description = "Engine pool: stt-en, tts, stt-passthrough, tts-passthrough", Required = true };
        var socket = new Option<string>("--socket") { Description = "Unix socket path to serve on", Required = true };
        // Workers hold no control state today (the gateway authenticates and meters); the flag is
        // accepted so deployment manifests can pass it uniformly to every role.
        var control = new Option<string?>("--control") { Description = "Control node URL (accepted for uniform deployments; workers need no control state)" };
        var command = new Command("worker", "Run one engine worker (started by 'vaani serve' / 'vaani gateway')") { pool, socket, control };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(pool)!, parse.GetValue(socket)!, ct));
        return command;
    }

    /// <summary>Runs the worker until SIGTERM or until its supervising parent is gone; returns the exit code.</summary>
    public static Task<int> RunAsync(string pool, string socketPath, CancellationToken ct) =>
        WorkerProcess.RunAsync(pool, socketPath, CreateCatalog(), ct);

    /// <summary>The pools this build can host.</summary>
    public static EngineCatalog CreateCatalog() => EngineCatalog.CreateDefault()
        .Register(LocalEngines.SttEnglishPool, _ =>
        {
            int decoders = int.TryParse(Environment.GetEnvironmentVariable(DecodersVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : 2;
            return PocketSphinxEngine.CreateAsync(new PocketSphinxOptions { PoolSize = decoders }, CancellationToken.None).GetAwaiter().GetResult();
        })
        .Register(LocalEngines.TtsPool, _ => EspeakEngine.Create());
}
