using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GuardedAI.Benchmarks;

/// <summary>A redis-server of the benchmark's own on 127.0.0.1 (no persistence), or the one GUARDEDAI_BENCH_REDIS names.</summary>
internal sealed class RedisServer : IDisposable
{
    private readonly Process? _process;

    private RedisServer(string host, int port, Process? process)
    {
        Host = host;
        Port = port;
        _process = process;
    }

    public string Host { get; }
    public int Port { get; }
    public string Configuration => $"{Host}:{Port}";

    /// <summary>Null when no server is configured and redis-server is not installed.</summary>
    public static RedisServer? Start()
    {
        if (Environment.GetEnvironmentVariable("GUARDEDAI_BENCH_REDIS") is { Length: > 0 } configured)
        {
            var parts = configured.Split(':');
            return new RedisServer(parts[0], parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : 6379, null);
        }
        if (Which("redis-server") is not { } server) return null;
        var port = FreePort();
        var process = Process.Start(new ProcessStartInfo(server, $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no --protected-mode yes")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return new RedisServer("127.0.0.1", port, process);
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        process.Kill();
        throw new InvalidOperationException("redis-server did not start listening within 10 s.");
    }

    /// <summary>The script of the issue's EVAL ceiling: two commands on one key (INCRBY, EXPIRE), sent as EVAL.</summary>
    public const string TrivialScript = "redis.call('INCRBY', KEYS[1], 1) redis.call('EXPIRE', KEYS[1], 3600) return 1";

    /// <summary>EVAL calls per second that <c>redis-benchmark</c> reaches with 64 clients running <see cref="TrivialScript"/>.</summary>
    public double? EvalCeiling(int requests) => RequestsPerSecond(requests, "EVAL", TrivialScript, "1", "bench:ceiling");

    /// <summary>
    /// Requests per second that <c>redis-benchmark</c> reaches with 64 clients sending <paramref name="command"/>
    /// (<c>__rand_int__</c> in it is replaced by a random number per request); null without redis-benchmark.
    /// </summary>
    public double? RequestsPerSecond(int requests, params string[] command)
    {
        if (Which("redis-benchmark") is not { } tool) return null;
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-h", Host, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", "64", "-r", "1000000000",
                     "-n", requests.ToString(System.Globalization.CultureInfo.InvariantCulture), "-q" }.Concat(command))
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        // "EVAL ...: 31746.03 requests per second, p50=..." — the last report on the line wins.
        var match = System.Text.RegularExpressions.Regex.Matches(output, @"([0-9.]+) requests per second").LastOrDefault();
        return match is null ? null : double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        if (_process is null) return;
        try { _process.Kill(); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
    }

    internal static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
