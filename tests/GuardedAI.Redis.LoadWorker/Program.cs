using GuardedAI.Sqlite;
using System.Collections.Concurrent;
using System.Globalization;
using GuardedAI;
using GuardedAI.Redis;

// Usage: GuardedAI.Redis.LoadWorker <mode> key=value…
//   mode load:   run `callers` concurrent callers, each making up to `calls` calls (or forever=true until killed);
//                prints "C <id>" after each commit is acknowledged, then "DONE committed=… denied=… maxseen=…".
//   mode pairs:  reserve + commit pairs for the benchmark's multi-process figure (PairsMode.cs).
//   mode report: start an engine (restoring state), print "USAGE <dimension> <window> <units> <window start ms> <window end ms>" for each limit.
// Settings: redis=<connection string> (omit for in-process counters), sqlite=<path>, lease=<seconds>, seed=<n>.
var mode = args.Length > 0 ? args[0] : "load";
var settings = args.Skip(1).Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);
string Get(string name, string fallback) => settings.TryGetValue(name, out var v) ? v : fallback;
int GetInt(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
if (mode == "pairs") return await PairsMode.RunAsync(settings);

var policy = Policies.Shared;
var options = new BudgetEngineOptions
{
    LogAlerts = false,
    ReservationLease = TimeSpan.FromSeconds(GetInt("lease", 600)),
    LeaseSweepInterval = TimeSpan.FromHours(1),
    Policies = { policy },
    Ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = Get("sqlite", "worker.db"), Durability = LedgerDurability.Synchronous }),
};
GuardedAIRedis? redis = null;
if (settings.TryGetValue("redis", out var connection))
{
    redis = await GuardedAIRedis.ConnectAsync(new RedisStoreOptions { Configuration = connection, KeyPrefix = Get("prefix", "{guardedai}:") });
    redis.ApplyTo(options);
    options.OwnedResources.Add(redis);
}
var engine = await BudgetEngine.CreateAsync(options);
var output = Console.Out;

if (mode == "report")
{
    foreach (var usage in await engine.GetUsageAsync(policy))
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"USAGE {usage.Limit.Dimension} {usage.Limit.Window} {BudgetUnits.ToUnits(usage.Limit.Dimension, usage.Used)} {usage.WindowStart.ToUnixTimeMilliseconds()} {usage.WindowEnd.ToUnixTimeMilliseconds()}"));
    }
    await engine.DisposeAsync();
    return 0;
}

if (mode == "bench")
{
    // Latency of ReserveAsync + CommitAsync alone, one caller, on a budget that never runs out (ledger in memory).
    var bench = BudgetPolicy.Create("bench-" + Environment.ProcessId).WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10_000_000)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 10_000_000_000).WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 1_000_000m).Build();
    var benchOptions = new BudgetEngineOptions { LogAlerts = false, Policies = { bench } };
    redis?.ApplyTo(benchOptions);
    await using var benchEngine = await BudgetEngine.CreateAsync(benchOptions);
    var n = GetInt("calls", 5000);
    var reserve = new double[n];
    var commit = new double[n];
    var estimate = new UsageEstimate("gpt-4o-mini", 100, 100, 0.0001m);
    for (var i = -200; i < n; i++)
    {
        var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        var lease = await benchEngine.TryReserveAsync(bench, estimate);
        var t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        await lease.CommitAsync(new TokenUsage(100, 50));
        var t2 = System.Diagnostics.Stopwatch.GetTimestamp();
        if (i < 0) continue;
        reserve[i] = System.Diagnostics.Stopwatch.GetElapsedTime(t0, t1).TotalMicroseconds;
        commit[i] = System.Diagnostics.Stopwatch.GetElapsedTime(t1, t2).TotalMicroseconds;
    }
    Array.Sort(reserve);
    Array.Sort(commit);
    string P(double[] a, double q) => a[(int)(q * (a.Length - 1))].ToString("0", CultureInfo.InvariantCulture);
    output.WriteLine($"BENCH calls={n} reserve_us p50={P(reserve, 0.5)} p99={P(reserve, 0.99)} commit_us p50={P(commit, 0.5)} p99={P(commit, 0.99)}");
    var sw = System.Diagnostics.Stopwatch.StartNew();
    var parallelCalls = 0;
    await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
    {
        while (sw.Elapsed < TimeSpan.FromSeconds(3))
        {
            var lease = await benchEngine.TryReserveAsync(bench, estimate);
            await lease.CommitAsync(new TokenUsage(100, 50));
            Interlocked.Increment(ref parallelCalls);
        }
    })));
    output.WriteLine($"BENCH 64 callers: {parallelCalls / sw.Elapsed.TotalSeconds:0} reserve+commit pairs/s");
    await engine.DisposeAsync();
    return 0;
}

var callers = GetInt("callers", 64);
var calls = GetInt("calls", 20);
var forever = Get("forever", "false") == "true";
var seed = GetInt("seed", Environment.ProcessId);
// How long a caller holds its reservation before committing (ms); 0: a random 0-2 ms.
var hold = GetInt("hold", 0);
var maxSeen = new long[policy.Limits.Length];
var limits = policy.Limits.Select(l => BudgetUnits.ToUnits(l.Dimension, l.Amount)).ToArray();
long committed = 0, denied = 0;
var lines = new BlockingCollection<string>();
var writer = Task.Run(() =>
{
    foreach (var line in lines.GetConsumingEnumerable()) { output.WriteLine(line); output.Flush(); }
});
output.WriteLine("READY");
output.Flush();

await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
{
    var random = new Random(seed * 1000 + c);
    for (var i = 0; forever || i < calls; i++)
    {
        var input = random.Next(50, 150);
        var estimate = new UsageEstimate("gpt-4o-mini", input, 100, 0.0001m);
        var lease = await engine.TryReserveAsync(policy, estimate);
        if (!lease.IsAcquired)
        {
            Interlocked.Increment(ref denied);
            if (forever) await Task.Delay(5);
            continue;
        }
        var usage = await engine.GetUsageAsync(policy);
        for (var j = 0; j < usage.Count; j++)
        {
            var units = BudgetUnits.ToUnits(usage[j].Limit.Dimension, usage[j].Used);
            long seen;
            while ((seen = Volatile.Read(ref maxSeen[j])) < units && Interlocked.CompareExchange(ref maxSeen[j], units, seen) != seen) { }
        }
        await Task.Delay(hold > 0 ? hold : random.Next(0, 3));
        await lease.CommitAsync(new TokenUsage(input, random.Next(1, 101)));
        Interlocked.Increment(ref committed);
        lines.Add("C " + lease.Id);
    }
})));
lines.CompleteAdding();
await writer;
await engine.DisposeAsync();
output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DONE committed={committed} denied={denied} maxseen={string.Join(',', maxSeen)} limits={string.Join(',', limits)}"));
return 0;

/// <summary>The budget every worker shares.</summary>
internal static class Policies
{
    public static readonly BudgetPolicy Shared = BudgetPolicy.Create("shared")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 2000)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 200_000)
        .WithLimit(BudgetDimension.InputTokens, BudgetWindow.Hour, 150_000)
        .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 100m)
        .WithThresholds(warnAtPercent: 70, criticalAtPercent: 90, tripAtPercent: 100)
        .WithBreaker(BreakerSettings.Default with { TripOnThreshold = false })
        .Build();
}
