using System.Diagnostics;
using System.Globalization;
using GuardedAI;
using GuardedAI.Benchmarks;
using GuardedAI.Redis;

/// <summary>
/// Mode <c>pairs</c>, for the benchmark's multi-process Redis figure: <c>callers</c> concurrent callers make reserve +
/// commit pairs on a six-limit budget that never runs out (the benchmark's own policy, in-memory ledger) for
/// <c>seconds</c>. Prints <c>READY</c> after a warm-up, waits for a line on stdin so every process starts together, then
/// writes each pair's latency (ms, one per line) to <c>samples=&lt;file&gt;</c> and prints
/// <c>PAIRS count=… seconds=…</c>.
/// </summary>
internal static class PairsMode
{
    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string> settings)
    {
        var seconds = double.Parse(settings.GetValueOrDefault("seconds", "5"), CultureInfo.InvariantCulture);
        var callers = int.Parse(settings.GetValueOrDefault("callers", "64"), CultureInfo.InvariantCulture);
        var samplesPath = settings["samples"];
        // The benchmark's own fixtures (linked): the same six limits, estimate and usage as its one-process figures.
        var policy = Fixtures.SixLimits("redis-bench");
        var estimate = Fixtures.Estimate;
        var actual = Fixtures.Actual;
        await using var redis = await GuardedAIRedis.ConnectAsync(new RedisStoreOptions { Configuration = settings["redis"], KeyPrefix = settings.GetValueOrDefault("prefix", "{bench}:") });
        var options = new BudgetEngineOptions { LogAlerts = false, LeaseSweepInterval = TimeSpan.FromHours(1), Policies = { policy } };
        options.Store = redis.Counters;
        await using var engine = await BudgetEngine.CreateAsync(options);

        async Task PairAsync()
        {
            var lease = await engine.TryReserveAsync(policy, estimate);
            if (!lease.IsAcquired) throw new InvalidOperationException("The benchmark budget ran out: " + lease.Denial);
            await lease.CommitAsync(actual);
        }

        for (var i = 0; i < 200; i++) await PairAsync();
        Console.WriteLine("READY");
        Console.Out.Flush();
        Console.ReadLine();

        var samples = new List<double>[callers];
        var watch = Stopwatch.StartNew();
        var duration = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            var mine = samples[c] = new List<double>(4096);
            while (watch.Elapsed < duration)
            {
                var t0 = Stopwatch.GetTimestamp();
                await PairAsync();
                mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        })));
        var elapsed = watch.Elapsed.TotalSeconds;
        var all = samples.SelectMany(s => s).ToList();
        await File.WriteAllLinesAsync(samplesPath, all.Select(s => s.ToString("R", CultureInfo.InvariantCulture)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PAIRS count={all.Count} seconds={elapsed:0.000}"));
        return 0;
    }
}
