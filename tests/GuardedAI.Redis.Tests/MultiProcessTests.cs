using GuardedAI.Sqlite;
using System.Globalization;

namespace GuardedAI.Redis.Tests;

/// <summary>Separate processes on one budget, on a real redis-server: the guarantees that matter in production.</summary>
[Collection("redis")]
public class MultiProcessTests(RedisFixture fixture)
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromMinutes(3);

    private static BudgetPolicy Policy() => BudgetPolicy.Create("shared")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 2000)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 200_000)
        .WithLimit(BudgetDimension.InputTokens, BudgetWindow.Hour, 150_000)
        .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 100m)
        .Build();

    /// <summary>
    /// The budget's counters in every window <paramref name="records"/> fall in, each window's value and their sum by
    /// dimension. A run that crosses the end of an hour counts in two hour windows (a CI run at 13:00 UTC read only the
    /// second and found 16,002 input tokens missing), and the store's clock may put a call a moment either side of the
    /// engine's, so the windows of a minute around the records are read too.
    /// </summary>
    private static async Task<(Dictionary<BudgetDimension, long> Sums, List<(BudgetLimit Limit, long Value)> Windows)> Counters(
        RedisBudgetCounterStore store, IReadOnlyCollection<UsageRecord> records)
    {
        var from = records.Min(r => r.Timestamp) - TimeSpan.FromMinutes(1);
        var to = records.Max(r => r.Timestamp) + TimeSpan.FromMinutes(1);
        var keys = new List<(BudgetLimit Limit, CounterKey Key)>();
        foreach (var limit in Policy().Limits)
        {
            for (var at = from; at < to; at = WindowCalendar.End(limit.Window, at, TimeZoneInfo.Utc))
                keys.Add((limit, new CounterKey("shared", limit.Dimension, limit.Window, WindowCalendar.Start(limit.Window, at, TimeZoneInfo.Utc))));
        }
        var values = await store.ReadAsync(keys.Select(k => k.Key).ToArray());
        var windows = keys.Select((k, i) => (k.Limit, values[i])).ToList();
        return (windows.GroupBy(w => w.Limit.Dimension).ToDictionary(g => g.Key, g => g.Sum(w => w.Item2)), windows);
    }

    private static Dictionary<BudgetDimension, long> Sums(IReadOnlyCollection<UsageRecord> records)
    {
        var counted = records.Where(r => r.Status != UsageStatus.Denied).ToList();
        return new Dictionary<BudgetDimension, long>
        {
            [BudgetDimension.Requests] = counted.Count,
            [BudgetDimension.TotalTokens] = counted.Sum(r => r.TotalTokens),
            [BudgetDimension.InputTokens] = counted.Sum(r => r.InputTokens),
            [BudgetDimension.CostUsd] = counted.Sum(r => BudgetUnits.ToUnits(BudgetDimension.CostUsd, r.CostUsd)),
        };
    }

    private static async Task<IReadOnlyList<UsageRecord>> ReadLedger(string path)
    {
        await using var ledger = new SqliteUsageLedger(path);
        return await ledger.ReadAllAsync(UsageQuery.All);
    }

    [Fact]
    public async Task Four_processes_with_64_callers_each_never_exceed_a_limit_and_counters_equal_the_committed_records()
    {
        using var dir = new TempDirectory();
        var prefix = RedisFixture.NewPrefix();
        var workers = Enumerable.Range(0, 4).Select(i => Worker.Start("load",
            $"redis={fixture.Server.Configuration}", $"prefix={prefix}", $"sqlite={dir.File($"w{i}.db")}", "callers=64", "calls=12", $"seed={i + 1}")).ToList();
        try
        {
            foreach (var worker in workers)
            {
                Assert.True(await worker.WaitForExitAsync(ProcessTimeout) == 0, worker.Output);
            }

            var records = new List<UsageRecord>();
            for (var i = 0; i < 4; i++) records.AddRange(await ReadLedger(dir.File($"w{i}.db")));
            var committed = records.Where(r => r.Status == UsageStatus.Success).ToList();
            var acknowledged = workers.SelectMany(w => w.Committed).ToHashSet();
            Assert.Equal(acknowledged.Count, committed.Count);
            Assert.True(acknowledged.SetEquals(committed.Select(r => r.Id)));
            Assert.True(records.Any(r => r.Status == UsageStatus.Denied), "the budget was meant to run out");

            await using var redis = await fixture.ConnectAsync(prefix);
            var counters = await Counters(redis.Counters, records);
            Assert.Equal(Sums(committed), counters.Sums);
            Assert.Equal(0, await redis.Counters.OutstandingReservationsAsync());

            // Never past a limit, not even in flight: each worker sampled the counters after every reservation.
            var limits = Policy().Limits;
            foreach (var done in workers.Select(w => w.Lines.Single(l => l.StartsWith("DONE", StringComparison.Ordinal))))
            {
                var maxSeen = done.Split(' ').Single(p => p.StartsWith("maxseen=", StringComparison.Ordinal))[8..].Split(',').Select(long.Parse).ToArray();
                for (var i = 0; i < limits.Length; i++)
                {
                    Assert.True(maxSeen[i] <= BudgetUnits.ToUnits(limits[i].Dimension, limits[i].Amount), $"{limits[i]} seen at {maxSeen[i]}");
                }
            }
            foreach (var (limit, value) in counters.Windows) Assert.True(value <= BudgetUnits.ToUnits(limit.Dimension, limit.Amount), $"{limit} counted {value}");
            Assert.True(counters.Sums[BudgetDimension.TotalTokens] > 200_000 * 0.9, $"the token limit should be nearly used: {counters.Sums[BudgetDimension.TotalTokens]}");
        }
        finally
        {
            foreach (var worker in workers) await worker.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_process_killed_mid_traffic_and_restarted_loses_no_record_and_its_reservations_return()
    {
        using var dir = new TempDirectory();
        var prefix = RedisFixture.NewPrefix();
        var path = dir.File("killed.db");
        // Each call holds its reservation 1 s, so the kill always finds calls in flight, and 32 callers make ~32 calls a
        // second: the shared budget (1,000-odd calls) lasts half a minute, far past the ~3 s to 100 commits even when this
        // process notices them late on a busy machine (spent, the callers would only get denials, none in flight).
        string[] settings = [$"redis={fixture.Server.Configuration}", $"prefix={prefix}", $"sqlite={path}", "callers=32", "forever=true", "lease=5", "hold=1000"];
        IReadOnlyList<string> acknowledged;
        await using (var worker = Worker.Start("load", settings))
        {
            await Eventually.TrueAsync(() => worker.Committed.Count >= 100, ProcessTimeout, "100 committed calls before the kill; output: " + worker.Output);
            worker.Kill();
            acknowledged = worker.Committed;
        }

        var killedAt = DateTimeOffset.UtcNow;
        var records = await ReadLedger(path);
        var ids = records.Select(r => r.Id).ToHashSet();
        Assert.All(acknowledged, id => Assert.Contains(id, ids)); // every acknowledged commit is in the ledger

        await using var redis = await fixture.ConnectAsync(prefix);
        Assert.True(await redis.Counters.OutstandingReservationsAsync() > 0, "the kill should leave calls in flight");

        // Restart: the engine replays the ledger's settlements (idempotently), then the crashed leases expire and return.
        await using (var restarted = Worker.Start("report", settings))
        {
            Assert.True(await restarted.WaitForExitAsync(ProcessTimeout) == 0, restarted.Output);
        }
        await Eventually.TrueAsync(async () =>
        {
            await redis.Counters.ReclaimExpiredAsync(DateTimeOffset.UtcNow);
            return await redis.Counters.OutstandingReservationsAsync() == 0;
        }, TimeSpan.FromSeconds(30), "the killed process's leases expire and are returned");
        Assert.True(DateTimeOffset.UtcNow >= killedAt.AddSeconds(1), "leases were returned only after they expired");

        Assert.Equal(Sums(records), (await Counters(redis.Counters, records)).Sums);
    }

    [Fact]
    public async Task With_the_embedded_default_a_process_killed_mid_traffic_restarts_with_counters_equal_to_its_ledger()
    {
        using var dir = new TempDirectory();
        var path = dir.File("embedded.db");
        IReadOnlyList<string> acknowledged;
        await using (var worker = Worker.Start("load", $"sqlite={path}", "callers=64", "forever=true"))
        {
            await Eventually.TrueAsync(() => worker.Committed.Count >= 300, ProcessTimeout, "300 committed calls before the kill; output: " + worker.Output);
            worker.Kill();
            acknowledged = worker.Committed;
        }

        var records = await ReadLedger(path);
        var ids = records.Select(r => r.Id).ToHashSet();
        Assert.All(acknowledged, id => Assert.Contains(id, ids));

        await using var restarted = Worker.Start("report", $"sqlite={path}");
        Assert.True(await restarted.WaitForExitAsync(ProcessTimeout) == 0, restarted.Output);
        // Each limit's usage is of its current window at the report; a run that crossed the end of an hour (or a day, a
        // month) left its first calls in the window before, so each is compared with the records inside its own window.
        var usage = restarted.Usage();
        foreach (var (dimension, window) in new[] { (BudgetDimension.Requests, "Day"), (BudgetDimension.TotalTokens, "Day"),
                     (BudgetDimension.InputTokens, "Hour"), (BudgetDimension.CostUsd, "Month") })
        {
            var reported = usage[(dimension.ToString(), window)];
            var inside = records.Where(r => r.Timestamp >= reported.Start && r.Timestamp < reported.End).ToList();
            Assert.Equal(Sums(inside)[dimension], reported.Units);
        }
        Assert.True(Sums(records)[BudgetDimension.Requests] >= acknowledged.Count);
        _ = CultureInfo.InvariantCulture;
    }
}
