using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GuardedAI.Redis.Tests;

/// <summary>
/// A real redis-server on 127.0.0.1 and a free port, started for the tests and killed after them. If redis-server
/// is not installed the tests fail with a message that says how to install it; they never skip.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    public RedisServer(params string[] extraArguments)
    {
        ExtraArguments = extraArguments;
        Port = FreePort();
        Start();
    }

    public int Port { get; }

    public string[] ExtraArguments { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    private static readonly Lazy<string> Installed = new(InstallOnce, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The redis-server binary; if missing, runs scripts/install-test-deps.sh once, and fails clearly if that does not help.</summary>
    public static string Executable() => Find() ?? Installed.Value;

    private static string? Find()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Concat(["/usr/bin", "/usr/local/bin", "/usr/sbin"]))
        {
            var candidate = Path.Combine(dir, "redis-server");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string InstallOnce()
    {
        var output = "scripts/install-test-deps.sh was not found above " + AppContext.BaseDirectory;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "scripts", "install-test-deps.sh");
            if (!File.Exists(script)) continue;
            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(script);
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(600_000)) process.Kill(entireProcessTree: true);
            output = $"{script} exited with {(process.HasExited ? process.ExitCode : -1)}: {stdout.Result}{stderr.Result}";
            break;
        }
        return Find() ?? throw new InvalidOperationException(
            "redis-server is not installed, and the Redis tests need a real one (they do not skip). Installing it failed: " + output.Trim()
            + " Install it (apt-get install redis-server) and test again.");
    }

    public void Start()
    {
        if (IsRunning) return;
        var info = new ProcessStartInfo(Executable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no" }.Concat(ExtraArguments))
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!Ping())
        {
            if (process.HasExited) throw new InvalidOperationException($"redis-server exited at start with code {process.ExitCode} (port {Port}).");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"redis-server did not answer PING on port {Port} within 15 s.");
            Thread.Sleep(20);
        }
    }

    /// <summary>Kills the server (its data is gone: it keeps nothing on disk).</summary>
    public void Stop()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
        _process.Dispose();
        _process = null;
    }

    public bool Ping()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            client.ReceiveTimeout = 1000;
            var stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            var buffer = new byte[16];
            var read = stream.Read(buffer, 0, buffer.Length);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One redis-server shared by the tests of a collection; each test uses its own key prefix.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Server = new RedisServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <param name="prefix">The key prefix (a new one when null).</param>
    /// <param name="testClockKey">When set, the scripts take the server's time from this key (Unix ms) when it holds one.</param>
    public async Task<GuardedAIRedis> ConnectAsync(string? prefix = null, string? testClockKey = null) =>
        await GuardedAIRedis.ConnectAsync(new RedisStoreOptions { Configuration = Server.Configuration, KeyPrefix = prefix ?? NewPrefix(), TestServerClockKey = testClockKey });

    public static string NewPrefix() => "{t" + Guid.NewGuid().ToString("N")[..12] + "}:";
}

[CollectionDefinition("redis")]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>;

/// <summary>Waits for a condition (no sleeps that fix races: poll until true or fail after the timeout).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for: {what}");
            await Task.Delay(25);
        }
    }

    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what) => TrueAsync(() => Task.FromResult(condition()), timeout, what);
}

internal sealed class RecordingAlertSink : IBudgetAlertSink
{
    private readonly List<BudgetAlert> _alerts = new();

    public IReadOnlyList<BudgetAlert> Alerts { get { lock (_alerts) return _alerts.ToArray(); } }

    public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
    {
        lock (_alerts) _alerts.Add(alert);
        return ValueTask.CompletedTask;
    }
}

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "guardedai-redis-tests", Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
