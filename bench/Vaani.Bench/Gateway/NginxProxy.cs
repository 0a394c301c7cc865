using System.Globalization;

namespace Vaani.Bench.Gateway;

/// <summary>
/// nginx as the reference WebSocket proxy: one worker process, <c>daemon off</c>, listening on a free
/// loopback port and proxying the upgrade to the backend. Config and logs live in a temporary
/// directory removed on dispose.
/// </summary>
internal sealed class NginxProxy : IAsyncDisposable
{
    private readonly ServerProcess _server;
    private readonly string _directory;

    private NginxProxy(ServerProcess server, string directory, int port, int workerPid, string version)
    {
        _server = server;
        _directory = directory;
        BaseUri = new Uri($"http://127.0.0.1:{port}");
        WorkerPid = workerPid;
        Version = version;
    }

    public Uri BaseUri { get; }

    /// <summary>The worker process, which does all the proxying (the master only supervises).</summary>
    public int WorkerPid { get; }

    public string Version { get; }

    public static async Task<NginxProxy> StartAsync(Uri backend, CancellationToken cancellationToken)
    {
        const string Binary = "/usr/sbin/nginx";
        if (!File.Exists(Binary))
            throw new InvalidOperationException("nginx is not installed: apt-get install nginx (scripts/setup.sh)");
        var directory = Directory.CreateTempSubdirectory("vaani-bench-nginx-").FullName;
        var port = Loopback.FreePort();
        var config = Path.Combine(directory, "nginx.conf");
        File.WriteAllText(config, Config(directory, port, backend));
        ServerProcess? server = null;
        try
        {
            server = await ServerProcess.StartAsync("nginx", Binary, ["-p", directory, "-c", config, "-e", Path.Combine(directory, "error.log")],
                null, readyLine: null, Signals.SigQuit, cancellationToken);
            await Loopback.WaitForListenerAsync(port, TimeSpan.FromSeconds(20), cancellationToken);
            int worker = 0;
            for (int i = 0; i < 200 && worker == 0; i++)
            {
                var children = ProcStat.Children(server.Pid);
                worker = children.Count > 0 ? children[0] : 0;
                if (worker == 0) await Task.Delay(10, cancellationToken);
            }
            if (worker == 0) throw new InvalidOperationException("nginx started no worker process");
            return new NginxProxy(server, directory, port, worker, await VersionAsync(Binary, cancellationToken));
        }
        catch
        {
            if (server is not null) await server.DisposeAsync();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    private static async Task<string> VersionAsync(string binary, CancellationToken cancellationToken)
    {
        var info = new System.Diagnostics.ProcessStartInfo(binary, "-v") { RedirectStandardError = true, UseShellExecute = false };
        using var process = System.Diagnostics.Process.Start(info)!;
        var text = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return text.Replace("nginx version:", "", StringComparison.Ordinal).Trim();
    }

    /// <summary>
    /// The usual WebSocket reverse-proxy block (proxy_http_version 1.1 + Upgrade/Connection headers),
    /// nothing tuned beyond logging off and temp paths inside the run's directory.
    /// </summary>
    private static string Config(string directory, int port, Uri backend) => string.Create(CultureInfo.InvariantCulture, $$"""
        worker_processes 1;
        daemon off;
        master_process on;
        pid {{directory}}/nginx.pid;
        error_log {{directory}}/error.log warn;
        events { worker_connections 1024; }
        http {
            access_log off;
            client_body_temp_path {{directory}}/body;
            proxy_temp_path {{directory}}/proxy;
            fastcgi_temp_path {{directory}}/fastcgi;
            uwsgi_temp_path {{directory}}/uwsgi;
            scgi_temp_path {{directory}}/scgi;
            map $http_upgrade $connection_upgrade { default upgrade; '' close; }
            server {
                listen 127.0.0.1:{{port}};
                location / {
                    proxy_pass http://127.0.0.1:{{backend.Port}};
                    proxy_http_version 1.1;
                    proxy_set_header Upgrade $http_upgrade;
                    proxy_set_header Connection $connection_upgrade;
                    proxy_set_header Host $host;
                    proxy_read_timeout 120s;
                    proxy_send_timeout 120s;
                }
            }
        }
        """);

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
