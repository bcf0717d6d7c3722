using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>
/// A real PostgreSQL server (the newest installed under /usr/lib/postgresql) in a temporary data directory, listening on
/// 127.0.0.1 and a free port, run as the <c>postgres</c> user (initdb refuses root; CI runs the tests as root). Host
/// connections need a password (scram-sha-256), so the connection strings the tests use carry a real secret. If
/// PostgreSQL is not installed, scripts/install-test-deps.sh runs once; if that does not help the tests fail saying how
/// to install it. They never skip.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string Password = "pg-Secret-7f3a9c";

    private readonly string _root;
    private readonly string _data;
    private readonly string _log;
    private bool _running;

    public PostgresServer()
    {
        Port = FreePort();
        _root = Path.Combine(Path.GetTempPath(), "guardedai-pg-tests", Guid.NewGuid().ToString("N")[..12]);
        _data = Path.Combine(_root, "data");
        _log = Path.Combine(_root, "server.log");
        Directory.CreateDirectory(_root);
        var passwordFile = Path.Combine(_root, "pw");
        File.WriteAllText(passwordFile, Password + "\n");
        if (IsRoot) Run("chown", ["-R", "postgres:postgres", _root]);
        RunAsPostgres(Path.Combine(Bin, "initdb"), ["-D", _data, "-U", "postgres", "-E", "UTF8", "--locale=C", "--auth-local=trust",
            "--auth-host=scram-sha-256", "--pwfile=" + passwordFile, "--no-sync"]);
        Start();
    }

    public int Port { get; }

    public bool IsRunning => _running;

    /// <summary>A connection string for the superuser, with its password.</summary>
    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Password = Password,
        Database = database,
    }.ConnectionString;

    public void Start()
    {
        if (_running) return;
        var options = $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={_root} -c max_connections=200";
        RunAsPostgres(Path.Combine(Bin, "pg_ctl"), ["-D", _data, "-l", _log, "-w", "-t", "30", "-o", options, "start"]);
        _running = true;
    }

    /// <summary>Stops the server: <c>fast</c> (clients disconnected, clean shutdown) or <c>immediate</c> (like a crash).</summary>
    public void Stop(string mode = "fast")
    {
        if (!_running) return;
        RunAsPostgres(Path.Combine(Bin, "pg_ctl"), ["-D", _data, "-m", mode, "-w", "-t", "30", "stop"]);
        _running = false;
    }

    /// <summary>
    /// Freezes the server (SIGSTOP to the postmaster and its backends, by their process ids): connections are accepted by
    /// the kernel but nothing answers, as with a hung server or a network partition. <see cref="Thaw"/> resumes it.
    /// </summary>
    public void Freeze() => Signal("-STOP");

    public void Thaw() => Signal("-CONT");

    /// <remarks>
    /// Freezing stops the postmaster first (so it forks no backend meanwhile); thawing resumes it last. A backend that ended
    /// while the server was frozen (its client gave up) stays a zombie until the postmaster reaps it; resumed first, the
    /// postmaster reaped such a child before <c>kill</c> reached it, and the thaw failed with "No such process" (seen
    /// once in a full test run). A child gone by the time it is signalled needs no signal: only the postmaster's must succeed.
    /// </remarks>
    private void Signal(string signal)
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(_data, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        var children = Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(d => int.TryParse(d, out _))
            .Where(pid => File.Exists($"/proc/{pid}/stat") && ParentOf(pid!) == postmaster).Select(pid => pid!).ToList();
        var freezing = signal == "-STOP";
        if (freezing) Run("kill", [signal, postmaster.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (children.Count > 0)
        {
            var (code, text) = Capture("kill", [signal, .. children], TimeSpan.FromSeconds(60));
            var failures = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (code != 0 && (failures.Length == 0 || !failures.All(f => f.EndsWith("No such process", StringComparison.Ordinal))))
                throw new InvalidOperationException($"kill {signal} {string.Join(' ', children)} exited with {code}: {text}");
        }
        if (!freezing) Run("kill", [signal, postmaster.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
    }

    private static int ParentOf(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1; // the process ended meanwhile
        }
    }

    public async Task ExecuteAsync(string sql, string database = "postgres")
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database) + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Stop("immediate");
        }
        finally
        {
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return ValueTask.CompletedTask;
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static readonly Lazy<string> BinDirectory = new(FindOrInstall, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The bin directory of the newest installed PostgreSQL.</summary>
    public static string Bin => BinDirectory.Value;

    private static string? Find()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
            .Where(d => d.Version > 0 && File.Exists(Path.Combine(d.Dir, "bin", "postgres")) && File.Exists(Path.Combine(d.Dir, "bin", "initdb")))
            .OrderByDescending(d => d.Version)
            .Select(d => Path.Combine(d.Dir, "bin"))
            .FirstOrDefault();
    }

    private static string FindOrInstall()
    {
        if (Find() is { } found) return found;
        var output = "scripts/install-test-deps.sh was not found above " + AppContext.BaseDirectory;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "scripts", "install-test-deps.sh");
            if (!File.Exists(script)) continue;
            var (code, text) = Capture("bash", [script], TimeSpan.FromMinutes(10));
            output = $"{script} exited with {code}: {text}";
            break;
        }
        return Find() ?? throw new InvalidOperationException(
            "PostgreSQL is not installed, and the PostgreSQL tests need a real server (they do not skip). Installing it failed: " + output.Trim()
            + " Install it (apt-get install postgresql) and test again.");
    }

    private void RunAsPostgres(string program, string[] arguments)
    {
        if (IsRoot) Run("runuser", ["-u", "postgres", "--", program, .. arguments]);
        else Run(program, arguments);
    }

    private void Run(string program, string[] arguments)
    {
        var (code, text) = Capture(program, arguments, TimeSpan.FromSeconds(60));
        if (code != 0)
        {
            var log = File.Exists(_log) ? File.ReadAllText(_log) : "";
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {code}: {text}\n{log}");
        }
    }

    private static (int Code, string Output) Capture(string program, string[] arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout.TotalSeconds} s");
        }
        return (process.ExitCode, (stdout.Result + stderr.Result).Trim());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// One PostgreSQL server shared by every test in the assembly (all test classes are in the "postgres" collection),
/// started once and stopped at the end. Each test works in a schema of its own, so tests never see each other's rows.
/// Tests that stop a server start one of their own.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Server = new PostgresServer();
        return Task.CompletedTask;
    }

    private readonly Lazy<PostgresServer> _restartable = new(() => new PostgresServer(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A second server for the tests that stop and start it (started on first use; a test leaves it running).</summary>
    public PostgresServer Restartable
    {
        get
        {
            var server = _restartable.Value;
            server.Start();
            return server;
        }
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        if (_restartable.IsValueCreated) await _restartable.Value.DisposeAsync();
    }

    /// <summary>A schema name no other test uses.</summary>
    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..12];
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>;
