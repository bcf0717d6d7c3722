using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace GuardedAI.Benchmarks;

/// <summary>
/// A PostgreSQL server of the benchmark's own on 127.0.0.1 (the newest installed under /usr/lib/postgresql, run as the
/// <c>postgres</c> user when the benchmark runs as root, since initdb refuses root), or the one
/// <c>GUARDEDAI_BENCH_POSTGRES</c> names (a connection string). The own server's data directory is kept in the temp
/// directory for later runs (a 10 M-record ledger takes minutes to load), except for the smoke run's, which is its own.
/// Durability is off on the own server (fsync, full-page writes): loading is faster, and reads do not depend on it.
/// </summary>
internal sealed class PostgresServer : IDisposable
{
    private readonly string? _data;
    private readonly bool _own;

    private PostgresServer(string connectionString, string? data, bool own)
    {
        ConnectionString = connectionString;
        _data = data;
        _own = own;
    }

    public string ConnectionString { get; }

    /// <summary>Whether <see cref="Start"/> can give a server: one is configured, or PostgreSQL is installed.</summary>
    public static bool Available => Environment.GetEnvironmentVariable("GUARDEDAI_BENCH_POSTGRES") is { Length: > 0 } || Bin() is not null;

    /// <summary>Null when no server is configured and PostgreSQL is not installed.</summary>
    public static PostgresServer? Start()
    {
        if (Environment.GetEnvironmentVariable("GUARDEDAI_BENCH_POSTGRES") is { Length: > 0 } configured) return new PostgresServer(configured, null, false);
        if (Bin() is not { } bin) return null;
        var own = BenchmarkScale.Smoke;
        var root = Path.Combine(Path.GetTempPath(), own ? $"guardedai-bench-pg-{Environment.ProcessId}" : "guardedai-bench-pg");
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(root);
        if (IsRoot) Run("chown", ["postgres:postgres", root]);
        if (!File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
            RunAsPostgres(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "-E", "UTF8", "--locale=C", "--auth=trust", "--no-sync"]);
        }
        var port = FreePort();
        var options = $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} -c fsync=off -c full_page_writes=off "
            + "-c synchronous_commit=off -c shared_buffers=256MB -c max_wal_size=4GB -c checkpoint_timeout=30min";
        RunAsPostgres(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "-o", options, "start"]);
        var connectionString = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "postgres", Database = "postgres" }.ConnectionString;
        return new PostgresServer(connectionString, data, own);
    }

    public void Dispose()
    {
        if (_data is null) return;
        NpgsqlConnection.ClearAllPools();
        RunAsPostgres(Path.Combine(Bin()!, "pg_ctl"), ["-D", _data, "-m", "fast", "-w", "-t", "60", "stop"]);
        if (_own) Directory.Delete(Path.GetDirectoryName(_data)!, recursive: true);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static string? Bin()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
            .Where(d => d.Version > 0 && File.Exists(Path.Combine(d.Dir, "bin", "initdb")))
            .OrderByDescending(d => d.Version)
            .Select(d => Path.Combine(d.Dir, "bin"))
            .FirstOrDefault();
    }

    private static void RunAsPostgres(string program, string[] arguments)
    {
        if (IsRoot) Run("runuser", ["-u", "postgres", "--", program, .. arguments]);
        else Run(program, arguments);
    }

    private static void Run(string program, string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} did not finish within 120 s.");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {stdout.Result}{stderr.Result}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
