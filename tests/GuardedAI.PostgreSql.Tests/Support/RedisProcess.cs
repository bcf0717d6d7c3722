using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>
/// A real redis-server on 127.0.0.1 and a free port for the multi-process tests, killed (by its process id) after them.
/// If it is not installed, scripts/install-test-deps.sh runs once; the tests never skip.
/// </summary>
internal sealed class RedisProcess : IAsyncDisposable
{
    private readonly Process _process;

    public RedisProcess()
    {
        Port = FreePort();
        var info = new ProcessStartInfo(Executable()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
            info.ArgumentList.Add(arg);
        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!Answers())
        {
            if (_process.HasExited) throw new InvalidOperationException($"redis-server exited at start with code {_process.ExitCode}.");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"redis-server did not listen on port {Port} within 15 s.");
            Thread.Sleep(20); // polling a process start-up, not fixing a race
        }
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>A key prefix no other test uses.</summary>
    public static string NewPrefix() => "{t" + Guid.NewGuid().ToString("N")[..12] + "}:";

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit(10_000);
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private bool Answers()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string Executable()
    {
        static string? Find() => new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);
        if (Find() is { } found) return found;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "scripts", "install-test-deps.sh");
            if (!File.Exists(script)) continue;
            using var install = Process.Start(new ProcessStartInfo("bash", [script]) { UseShellExecute = false })!;
            install.WaitForExit(600_000);
            break;
        }
        return Find() ?? throw new InvalidOperationException("redis-server is not installed and installing it failed: apt-get install redis-server, then test again.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
