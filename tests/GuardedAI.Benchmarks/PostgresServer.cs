using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GuardedAI.Benchmarks;

/// <summary>
/// A PostgreSQL server of the benchmark's own (the newest under /usr/lib/postgresql) in a temporary data directory on
/// 127.0.0.1 and a free port, run as the <c>postgres</c> user when the benchmark runs as root; or the server whose
/// connection string GUARDEDAI_BENCH_POSTGRES holds. Null when neither is there.
/// </summary>
internal sealed class PostgresServer : IDisposable
{
    private readonly string? _root;
    private readonly string? _bin;

    private PostgresServer(string connectionString, string? root, string? bin)
    {
        ConnectionString = connectionString;
        _root = root;
        _bin = bin;
    }

    public string ConnectionString { get; }

    public static bool Available => Environment.GetEnvironmentVariable("GUARDEDAI_BENCH_POSTGRES") is { Length: > 0 } || Bin() is not null;

    public static PostgresServer? Start()
    {
        if (Environment.GetEnvironmentVariable("GUARDEDAI_BENCH_POSTGRES") is { Length: > 0 } configured) return new PostgresServer(configured, null, null);
        if (Bin() is not { } bin) return null;
        var port = FreePort();
        var root = Path.Combine(Path.GetTempPath(), "guardedai-bench-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var asRoot = Environment.UserName == "root";
        if (asRoot) Run("chown", ["-R", "postgres:postgres", root]);
        var data = Path.Combine(root, "data");
        RunAs(asRoot, Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "-E", "UTF8", "--locale=C", "--auth=trust", "--no-sync"]);
        RunAs(asRoot, Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "30",
            "-o", $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} -c fsync=off -c synchronous_commit=off", "start"]);
        return new PostgresServer($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres", root, bin);
    }

    public void Dispose()
    {
        if (_root is null) return;
        try
        {
            RunAs(Environment.UserName == "root", Path.Combine(_bin!, "pg_ctl"), ["-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop"]);
        }
        finally
        {
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string? Bin()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
            .Where(d => d.Version > 0 && File.Exists(Path.Combine(d.Dir, "bin", "initdb")))
            .OrderByDescending(d => d.Version).Select(d => Path.Combine(d.Dir, "bin")).FirstOrDefault();
    }

    private static void RunAs(bool asPostgres, string program, string[] arguments)
    {
        if (asPostgres) Run("runuser", ["-u", "postgres", "--", program, .. arguments]);
        else Run(program, arguments);
    }

    private static void Run(string program, string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60))) process.Kill(entireProcessTree: true);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {output.Result}{error.Result}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
