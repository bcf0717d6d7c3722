using System.Diagnostics;
using System.Globalization;
using GuardedAI.Redis;
using StackExchange.Redis;

namespace GuardedAI.Benchmarks;

/// <summary>
/// The Redis figures beside the BenchmarkDotNet one: the ceilings <c>redis-benchmark</c> reaches (the issue's trivial EVAL,
/// and GuardedAI's own reserve and settle scripts by EVALSHA, so the client's share can be told from the scripts'),
/// where the time goes (server CPU and script time per pair from <c>INFO</c>, client CPU per pair), and the latency from
/// four processes (<c>GuardedAI.Redis.LoadWorker pairs</c>).
/// </summary>
internal static class RedisFigures
{
    /// <summary>Requests per second of each ceiling (64 redis-benchmark clients). A pair's ceiling is one reserve and one settle back to back.</summary>
    public sealed record Ceilings(Ceiling TrivialEval, Ceiling Reserve, Ceiling Settle)
    {
        public double? Pair => Reserve.PerSecond is { } r && Settle.PerSecond is { } s ? 1 / (1 / r + 1 / s) : null;

        /// <summary>The server's CPU for one reserve and one settle script, in µs (redis-benchmark's runs).</summary>
        public double PairServerCpuUs => Reserve.ServerCpuUs + Settle.ServerCpuUs;
    }

    /// <summary>One redis-benchmark run: requests per second, and the server's CPU and script time (<c>usec_per_call</c>) per request.</summary>
    public sealed record Ceiling(double? PerSecond, double ServerCpuUs, double ScriptUs);

    /// <summary>Where one run's time went.</summary>
    public sealed record Cost(double PairsPerSecond, double P50Ms, double P99Ms, double ServerCpuUsPerPair, double ClientCpuUsPerPair, double ScriptUsPerCall);

    /// <summary>
    /// The trivial EVAL ceiling (as the issue defines it), then GuardedAI's reserve and settle scripts run by redis-benchmark
    /// with EVALSHA on six counters (hour and day windows, as the benchmark's policy), each request one call, as a lone call
    /// is sent, with a new reservation id.
    /// A settle here finds no lease (the ids of the two runs differ), so instead of reading and parsing the lease it looks
    /// for one in the previous layout's hash (one <c>HGETALL</c> of a missing key): about what a real one does.
    /// </summary>
    public static Ceilings MeasureCeilings(RedisServer server, int requests)
    {
        using var admin = Admin(server);
        var trivial = Run(admin, requests, () => server.EvalCeiling(requests), "cmdstat_eval");
        var scripts = new RedisScripts(testClockKey: null);
        var endpoint = admin.GetServer(admin.GetEndPoints()[0]);
        var reserveSha = Hex(endpoint.ScriptLoad(scripts.Reserve));
        var settleSha = Hex(endpoint.ScriptLoad(RedisScripts.Settle));
        var now = DateTimeOffset.UtcNow;
        var hour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var day = new DateTimeOffset(now.Year, now.Month, now.Day, 0, 0, 0, TimeSpan.Zero);
        (DateTimeOffset Start, DateTimeOffset End)[] windows = [(hour, hour.AddHours(1)), (day, day.AddDays(1))];
        var counters = Enumerable.Range(0, 6).Select(i => $"{{ceil}}:c:{i}").ToArray();
        string Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        string S(DateTimeOffset t) => t.AddHours(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

        // The arguments as RedisBudgetCounterStore sends a call alone (RedisScripts.Reserve and Settle document the
        // layout): the number of distinct counters, then the call's lease duration and its key's extra lifetime, the
        // latest start and earliest end of the charged calendar windows, its number of counters, per counter its position,
        // amount, limit and expiry negated (a calendar window's end is fixed, so the script sets it only on a key it
        // creates), and last the lease.
        var reserve = new List<string> { "EVALSHA", reserveSha, "8", "{ceil}:held" };
        reserve.AddRange(counters);
        reserve.AddRange(["{ceil}:s:__rand_int__", "6", "600000", "86400000", Ms(hour), Ms(hour.AddHours(1)), "6"]);
        for (var i = 0; i < 6; i++) reserve.AddRange([(i + 1).ToString(CultureInfo.InvariantCulture), "100", "4000000000000000000", "-" + S(windows[i % 2].End)]);
        reserve.Add(string.Concat(counters.Select(c => $"{c.Length} 100 {c}")));   // the lease, as the store writes it
        var settle = new List<string> { "EVALSHA", settleSha, "10", "{ceil}:held", "{ceil}:leases" };
        settle.AddRange(counters);
        settle.AddRange(["{ceil}:s:__rand_int__", "{ceil}:l:__rand_int__", "6", "7200000", "6"]);
        for (var i = 0; i < 6; i++) settle.AddRange([(i + 1).ToString(CultureInfo.InvariantCulture), "90", "-" + S(windows[i % 2].End)]);

        var reserveRate = Run(admin, requests, () => server.RequestsPerSecond(requests, [.. reserve]), "cmdstat_evalsha");
        var settleRate = Run(admin, requests, () => server.RequestsPerSecond(requests, [.. settle]), "cmdstat_evalsha");
        var db = admin.GetDatabase();
        db.KeyDelete([.. counters.Select(c => (RedisKey)c), "{ceil}:held", "{ceil}:leases"]);
        return new Ceilings(trivial, reserveRate, settleRate);
    }

    private static Ceiling Run(ConnectionMultiplexer admin, int requests, Func<double?> run, string stat)
    {
        var endpoint = admin.GetServer(admin.GetEndPoints()[0]);
        endpoint.ConfigResetStatistics();
        var cpu = ServerCpuSeconds(endpoint);
        var perSecond = run();
        var cpuUs = (ServerCpuSeconds(endpoint) - cpu) * 1e6 / requests;
        var stats = Info(endpoint, "commandstats");
        return new Ceiling(perSecond, cpuUs, stats.TryGetValue(stat, out var line) ? Field(line, "usec_per_call") : double.NaN);
    }

    /// <summary>Runs <paramref name="run"/> (which returns pairs made, p50, p99, pairs/s) and charges the server's and this process's CPU to its pairs.</summary>
    public static async Task<Cost> MeasureCostAsync(RedisServer server, Func<Task<(long Pairs, double P50, double P99, double PerSecond)>> run)
    {
        using var admin = Admin(server);
        var endpoint = admin.GetServer(admin.GetEndPoints()[0]);
        await endpoint.ConfigResetStatisticsAsync();
        var serverCpu = ServerCpuSeconds(endpoint);
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var (pairs, p50, p99, perSecond) = await run();
        var clientUs = (Process.GetCurrentProcess().TotalProcessorTime - clientCpu).TotalMicroseconds / pairs;
        var serverUs = (ServerCpuSeconds(endpoint) - serverCpu) * 1e6 / pairs;
        var stats = Info(endpoint, "commandstats");
        var scriptUs = stats.TryGetValue("cmdstat_evalsha", out var evalsha) ? Field(evalsha, "usec_per_call") : double.NaN;
        if (Environment.GetEnvironmentVariable("GUARDEDAI_BENCH_VERBOSE") is { Length: > 0 })
        {
            foreach (var (name, value) in stats)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: {Field(value, "calls") / pairs:0.00} calls per pair, {Field(value, "usec_per_call"):0.00} µs per call"));
        }
        return new Cost(perSecond, p50, p99, serverUs, clientUs, scriptUs);
    }

    /// <summary>
    /// <paramref name="processes"/> load workers, each with 64 callers making pairs for <paramref name="seconds"/>, started together:
    /// pairs per second of all of them, and p50 / p99 of every pair.
    /// </summary>
    public static async Task<(long Pairs, double P50, double P99, double PerSecond)> ProcessesAsync(RedisServer server, int processes, double seconds)
    {
        var dll = WorkerDll();
        var dir = Directory.CreateTempSubdirectory("guardedai-bench-redis-");
        var workers = new List<Process>();
        try
        {
            for (var i = 0; i < processes; i++)
            {
                var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
                foreach (var a in new[] { dll, "pairs", "redis=" + server.Configuration, "prefix={bench}:", "callers=64",
                             "seconds=" + seconds.ToString(CultureInfo.InvariantCulture), "samples=" + Path.Combine(dir.FullName, $"{i}.txt") })
                {
                    info.ArgumentList.Add(a);
                }
                workers.Add(Process.Start(info)!);
            }
            foreach (var w in workers)
            {
                var line = await w.StandardOutput.ReadLineAsync();
                if (line != "READY") throw new InvalidOperationException($"A load worker did not start: '{line}' {await w.StandardOutput.ReadToEndAsync()}");
            }
            foreach (var w in workers) await w.StandardInput.WriteLineAsync("GO");
            foreach (var w in workers) await w.StandardInput.FlushAsync();
            var totalPerSecond = 0.0;
            foreach (var w in workers)
            {
                var output = await w.StandardOutput.ReadToEndAsync();
                await w.WaitForExitAsync();
                var done = output.Split('\n').FirstOrDefault(l => l.StartsWith("PAIRS ", StringComparison.Ordinal))
                    ?? throw new InvalidOperationException("A load worker failed: " + output);
                var fields = done.Split(' ').Skip(1).Select(f => f.Split('=')).ToDictionary(f => f[0], f => double.Parse(f[1], CultureInfo.InvariantCulture));
                totalPerSecond += fields["count"] / fields["seconds"];
            }
            var samples = Directory.GetFiles(dir.FullName).SelectMany(File.ReadLines).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).Order().ToArray();
            return (samples.Length, samples[samples.Length / 2], samples[Math.Min(samples.Length - 1, (int)(samples.Length * 0.99))], totalPerSecond);
        }
        finally
        {
            foreach (var w in workers)
            {
                if (!w.HasExited) w.Kill();
                w.Dispose();
            }
            dir.Delete(recursive: true);
        }
    }

    private static string WorkerDll()
    {
        var dir = AppContext.BaseDirectory.Replace("GuardedAI.Benchmarks", "GuardedAI.Redis.LoadWorker", StringComparison.Ordinal);
        var path = Path.GetFullPath(Path.Combine(dir, "GuardedAI.Redis.LoadWorker.dll"));
        return File.Exists(path) ? path : throw new FileNotFoundException($"The Redis load worker was not built at {path} (it is a ProjectReference of the benchmarks).");
    }

    private static ConnectionMultiplexer Admin(RedisServer server)
    {
        var options = ConfigurationOptions.Parse(server.Configuration);
        options.AllowAdmin = true;
        return ConnectionMultiplexer.Connect(options);
    }

    private static double ServerCpuSeconds(IServer endpoint)
    {
        var cpu = Info(endpoint, "cpu");
        return double.Parse(cpu["used_cpu_user"], CultureInfo.InvariantCulture) + double.Parse(cpu["used_cpu_sys"], CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, string> Info(IServer endpoint, string section) => endpoint.InfoRaw(section)!
        .Split('\n').Select(l => l.Trim()).Where(l => l.Contains(':') && !l.StartsWith('#')).Select(l => l.Split(':', 2))
        .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    private static double Field(string stats, string name) => stats.Split(',').Select(f => f.Split('=')).Where(f => f[0] == name)
        .Select(f => double.Parse(f[1], CultureInfo.InvariantCulture)).First();

    private static string Hex(byte[] sha) => Convert.ToHexStringLower(sha);
}
