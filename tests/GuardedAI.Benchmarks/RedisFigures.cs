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
    /// <summary>Requests per second of each ceiling (64 clients: redis-benchmark's for the trivial EVAL, this process's for
    /// the scripts). A pair's ceiling is one reserve and one settle back to back.</summary>
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
    /// The trivial EVAL ceiling (as the issue defines it, run by redis-benchmark), then GuardedAI's reserve and settle
    /// scripts with EVALSHA on six counters (hour and day windows, as the benchmark's policy), each request one call, as a
    /// lone call is sent, with a new reservation id. The scripts take their numbers packed in one binary argument (see
    /// <c>ScriptRequests</c>), which redis-benchmark cannot send (its arguments are C strings, and the packed doubles hold
    /// zero bytes), so 64 callers of this process send them through StackExchange.Redis: their requests per second
    /// include this client's work on the same two cores, where redis-benchmark's took its C client's; the server's CPU
    /// and script time per call are the server's own either way.
    /// A settle here finds no lease (the ids of the two runs differ), so it looks for one in the previous layout's hash
    /// (one <c>HGETALL</c> of a missing key) where a real one, finding the lease it sent, takes the reserved amounts from
    /// its request: about the same work.
    /// </summary>
    public static Ceilings MeasureCeilings(RedisServer server, int requests)
    {
        using var admin = Admin(server);
        var trivial = Run(admin, requests, () => server.EvalCeiling(requests), "cmdstat_eval");
        var scripts = new RedisScripts(testClockKey: null);
        var endpoint = admin.GetServer(admin.GetEndPoints()[0]);
        var reserveSha = endpoint.ScriptLoad(scripts.Reserve);
        var settleSha = endpoint.ScriptLoad(RedisScripts.Settle);
        var now = DateTimeOffset.UtcNow;
        var hour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var day = new DateTimeOffset(now.Year, now.Month, now.Day, 0, 0, 0, TimeSpan.Zero);
        (DateTimeOffset Start, DateTimeOffset End)[] windows = [(hour, hour.AddHours(1)), (day, day.AddDays(1))];
        var counters = Enumerable.Range(0, 6).Select(i => (RedisKey)$"{{ceil}}:c:{i}").ToArray();
        long S(DateTimeOffset t) => t.AddHours(1).ToUnixTimeSeconds();

        // The arguments as RedisBudgetCounterStore sends a call alone (RedisScripts.Reserve and Settle document the
        // layout): the number of distinct counters; packed, the call's lease duration and its key's extra lifetime, the
        // latest start and earliest end of the charged calendar windows, its number of counters, per counter its position,
        // amount, limit and expiry negated (a calendar window's end is fixed, so the script sets it only on a key it
        // creates); then the lease. A settlement sends per counter its position, actual amount, expiry and reserved amount,
        // then the lease its reservation wrote.
        var reserveNumbers = new List<long> { 600_000, 86_400_000, hour.ToUnixTimeMilliseconds(), hour.AddHours(1).ToUnixTimeMilliseconds(), 6 };
        for (var i = 0; i < 6; i++) reserveNumbers.AddRange([i + 1, 100, 4_000_000_000_000_000_000, -S(windows[i % 2].End)]);
        var lease = string.Concat(counters.Select(c => $"{((string)c!).Length} 100 {c}"));
        RedisValue[] reserveValues = [6, Packed(reserveNumbers), lease];
        var settleNumbers = new List<long> { 7_200_000, 6 };
        for (var i = 0; i < 6; i++) settleNumbers.AddRange([i + 1, 90, -S(windows[i % 2].End), 100]);
        RedisValue[] settleValues = [6, Packed(settleNumbers), lease];

        var db = admin.GetDatabase();
        var reserveRate = Run(admin, requests, () => LoneCalls(db, reserveSha, requests,
            id => [(RedisKey)"{ceil}:held", .. counters, (RedisKey)("{ceil}:s:r" + id)], reserveValues), "cmdstat_evalsha");
        var settleRate = Run(admin, requests, () => LoneCalls(db, settleSha, requests,
            id => [(RedisKey)"{ceil}:held", (RedisKey)"{ceil}:leases", .. counters, (RedisKey)("{ceil}:s:s" + id), (RedisKey)("{ceil}:l:s" + id)], settleValues), "cmdstat_evalsha");
        db.KeyDelete([.. counters, "{ceil}:held", "{ceil}:leases"]);
        for (var id = 0; id < requests; id += 1000)
        {
            db.KeyDelete(Enumerable.Range(id, Math.Min(1000, requests - id)).SelectMany(i => new RedisKey[] { "{ceil}:s:r" + i, "{ceil}:s:s" + i }).ToArray());
        }
        return new Ceilings(trivial, reserveRate, settleRate);
    }

    /// <summary>The numbers of one call as the store packs them (<see cref="ScriptRequests.PackedNumbers"/>).</summary>
    private static byte[] Packed(List<long> numbers)
    {
        var packed = new ScriptRequests.PackedNumbers(numbers.Count);
        foreach (var number in numbers) packed.Add(number);
        return packed.Bytes;
    }

    /// <summary><paramref name="requests"/> lone calls of a script from 64 callers, each with its own id; requests per second.</summary>
    private static double? LoneCalls(IDatabase db, byte[] sha, int requests, Func<int, RedisKey[]> keys, RedisValue[] values)
    {
        var next = -1;
        var watch = Stopwatch.StartNew();
        var callers = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            int id;
            while ((id = Interlocked.Increment(ref next)) < requests)
            {
                var answer = await db.ScriptEvaluateAsync(sha, keys(id), values).ConfigureAwait(false);
                if (answer.Resp2Type != ResultType.Array) throw new InvalidOperationException("The script refused the ceiling's call: " + answer);
            }
        })).ToArray();
        Task.WaitAll(callers);
        return requests / watch.Elapsed.TotalSeconds;
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

    /// <summary>A connection to <paramref name="server"/> that may run admin commands (<c>INFO</c>, <c>CONFIG RESETSTAT</c>, <c>SCRIPT LOAD</c>).</summary>
    internal static ConnectionMultiplexer Admin(RedisServer server)
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

    /// <summary>One section of <c>INFO</c>, field by field.</summary>
    internal static Dictionary<string, string> Info(IServer endpoint, string section) => endpoint.InfoRaw(section)!
        .Split('\n').Select(l => l.Trim()).Where(l => l.Contains(':') && !l.StartsWith('#')).Select(l => l.Split(':', 2))
        .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    /// <summary>One number of a <c>name=value,…</c> line of <c>INFO</c> (a command's statistics).</summary>
    internal static double Field(string stats, string name) => stats.Split(',').Select(f => f.Split('=')).Where(f => f[0] == name)
        .Select(f => double.Parse(f[1], CultureInfo.InvariantCulture)).First();
}
