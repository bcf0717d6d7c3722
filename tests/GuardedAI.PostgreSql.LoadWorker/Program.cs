using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using GuardedAI;
using GuardedAI.PostgreSql;
using GuardedAI.Redis;

// Usage: GuardedAI.PostgreSql.LoadWorker key=value…
//   Runs `callers` concurrent callers on one budget, Redis counters and a PostgreSQL ledger (synchronous durability),
//   each making `calls` calls, or, with forever=true, calls until a line "stop" arrives on standard input.
//   Prints "READY", then "C <id> <input> <output> <cost>" after each commit is acknowledged, "S 1"/"S 0" when the
//   ledger starts/stops spilling, and at the end "DONE committed=… denied=… maxcommitms=… maxappendms=… maxspillms=…
//   maxlagms=…" (the longest commit, ledger append, spill write, and lateness of the thread pool's timers).
// Settings: redis=<connection string>, prefix=<key prefix>, pg=<connection string>, schema=<schema>, spill=<path>,
//   timeoutms=<ledger write timeout>, retryms=<ledger retry interval>, seed=<n>.
var settings = args.Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);
string Get(string name, string fallback) => settings.TryGetValue(name, out var v) ? v : fallback;
int GetInt(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

var policy = BudgetPolicy.Create("shared")
    .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1_000_000)
    .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 1_000_000_000)
    .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 100_000m)
    .Build();
var ledger = await PostgreSqlUsageLedger.OpenAsync(new PostgreSqlLedgerOptions
{
    ConnectionString = Get("pg", ""),
    Schema = Get("schema", "guardedai"),
    SpillPath = Get("spill", "spill.jsonl"),
    Durability = PostgreSqlDurability.Synchronous,
    WriteTimeout = TimeSpan.FromMilliseconds(GetInt("timeoutms", 2000)),
    RetryInterval = TimeSpan.FromMilliseconds(GetInt("retryms", 5000)),
}, new StderrLogger());
var timed = new TimedLedger(ledger);
var options = new BudgetEngineOptions { LogAlerts = false, Policies = { policy }, Ledger = timed };
var redis = await GuardedAIRedis.ConnectAsync(new RedisStoreOptions { Configuration = Get("redis", ""), KeyPrefix = Get("prefix", "{guardedai}:") });
redis.ApplyTo(options);
options.OwnedResources.Add(redis);
var engine = await BudgetEngine.CreateAsync(options);

var output = Console.Out;
var lines = new BlockingCollection<string>();
var writer = Task.Run(() =>
{
    foreach (var line in lines.GetConsumingEnumerable()) { output.WriteLine(line); output.Flush(); }
});
using var stop = new CancellationTokenSource();
var forever = Get("forever", "false") == "true";
if (forever)
{
    _ = Task.Run(async () =>
    {
        while (await Console.In.ReadLineAsync() is { } line) if (line.Trim() == "stop") break;
        stop.Cancel();
    });
}
var watcher = Task.Run(async () =>
{
    var spilling = false;
    while (!stop.IsCancellationRequested)
    {
        if (ledger.IsSpilling != spilling) { spilling = !spilling; lines.Add(spilling ? "S 1" : "S 0"); }
        try { await Task.Delay(20, stop.Token); } catch (OperationCanceledException) { }
    }
});
// One call before the callers start: the process's first call pays for JIT and connections, which is not what is measured.
var warm = await engine.TryReserveAsync(policy, new UsageEstimate("gpt-4o-mini", 10, 10, 0.0001m));
var warmSettled = await warm.CommitAsync(new TokenUsage(10, 5));
lines.Add(string.Create(CultureInfo.InvariantCulture, $"C {warm.Id} {warmSettled.InputTokens} {warmSettled.OutputTokens} {warmSettled.CostUsd}"));
timed.Reset(); // what is measured starts with the callers
// How late the thread pool runs a timer's continuation while the callers run: on a saturated machine a caller's append
// can be late by as much for reasons that are not the ledger's (the test allows for it).
var lag = GuardedAI.PostgreSql.Tests.PoolLag.Start();
lines.Add("READY");

var callers = GetInt("callers", 64);
var calls = GetInt("calls", 8);
var seed = GetInt("seed", Environment.ProcessId);
long committed = 1, denied = 0, maxCommitTicks = 0;
await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
{
    var random = new Random(seed * 1000 + c);
    for (var i = 0; forever ? !stop.IsCancellationRequested : i < calls; i++)
    {
        var input = random.Next(50, 150);
        var lease = await engine.TryReserveAsync(policy, new UsageEstimate("gpt-4o-mini", input, 100, 0.0001m));
        if (!lease.IsAcquired)
        {
            Interlocked.Increment(ref denied);
            continue;
        }
        await Task.Delay(random.Next(0, 3));
        var started = Stopwatch.GetTimestamp();
        var settled = await lease.CommitAsync(new TokenUsage(input, random.Next(1, 101)));
        var took = Stopwatch.GetElapsedTime(started).Ticks;
        if (took > TimeSpan.TicksPerSecond) lines.Add(string.Create(CultureInfo.InvariantCulture, $"SLOW commit={took / TimeSpan.TicksPerMillisecond} at={DateTime.UtcNow:HH:mm:ss.fff} spilling={ledger.IsSpilling}"));
        long seen;
        while ((seen = Volatile.Read(ref maxCommitTicks)) < took && Interlocked.CompareExchange(ref maxCommitTicks, took, seen) != seen) { }
        Interlocked.Increment(ref committed);
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"C {lease.Id} {settled.InputTokens} {settled.OutputTokens} {settled.CostUsd}"));
        if (forever) await Task.Delay(random.Next(5, 20));
    }
})));
stop.Cancel();
await watcher;
await lag.DisposeAsync();
await engine.DisposeAsync();
lines.Add(string.Create(CultureInfo.InvariantCulture, $"DONE committed={committed} denied={denied} maxcommitms={TimeSpan.FromTicks(maxCommitTicks).TotalMilliseconds:0} maxappendms={TimeSpan.FromTicks(timed.MaxTicks).TotalMilliseconds:0} maxspillms={ledger.LongestSpillWrite.TotalMilliseconds:0} maxlagms={lag.Max.TotalMilliseconds:0}"));
lines.CompleteAdding();
await writer;
return 0;

/// <summary>Measures how long the engine waits on the ledger (the part of a commit the ledger is responsible for).</summary>
internal sealed class TimedLedger(PostgreSqlUsageLedger inner) : IUsageLedger, ILedgerAvailability, IAsyncDisposable
{
    private long _max;

    public long MaxTicks => Volatile.Read(ref _max);

    public void Reset() => Volatile.Write(ref _max, 0);

    public bool IsAvailable => inner.IsAvailable;

    public string? UnavailableReason => inner.UnavailableReason;

    public async ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        await inner.AppendAsync(record, cancellationToken);
        var took = Stopwatch.GetElapsedTime(started).Ticks;
        long seen;
        while ((seen = Volatile.Read(ref _max)) < took && Interlocked.CompareExchange(ref _max, took, seen) != seen) { }
    }

    public IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, CancellationToken cancellationToken = default) => inner.QueryAsync(query, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
