using Vaani.Workers.Hosting;

// Test worker executable: Vaani.Workers.TestHost --pool NAME --socket PATH
string? pool = null, socket = null;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--pool": pool = args[i + 1]; break;
        case "--socket": socket = args[i + 1]; break;
    }
}
if (pool is null || socket is null)
{
    Console.Error.WriteLine("usage: Vaani.Workers.TestHost --pool NAME --socket PATH");
    return 64;
}
return await WorkerProcess.RunAsync(pool, socket, catalog: null, CancellationToken.None);
