namespace GuardedAI.PostgreSql.Tests;

/// <summary>
/// Many instances, one ledger: separate processes with 64 concurrent callers each share Redis counters (a real
/// redis-server) and one PostgreSQL ledger (a real server). One report over the ledger covers every instance and
/// equals what every instance was told, exactly — also across a database outage and a SIGKILL during the spill.
/// </summary>
[Collection("postgres")]
public sealed class MultiProcessTests(PostgresFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromMinutes(2);
    // How long a step may take to show progress (every worker committing, draining its spill). Generous on purpose: each
    // wait ends as soon as its condition holds, and with every test assembly sharing two cores a step once took more
    // than a minute. A wait that runs out still fails the test, with what each worker printed.
    private static readonly TimeSpan ProgressTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(750);

    private readonly TempDir _dir = new();
    private readonly string _schema = PostgresFixture.NewSchema();
    private RedisProcess _redis = null!;

    public Task InitializeAsync()
    {
        _redis = new RedisProcess();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        fixture.Restartable.Start();
        await _redis.DisposeAsync();
        _dir.Dispose();
    }

    private Worker StartWorker(PostgresServer server, string prefix, int i, params string[] extra) => Worker.Start([
        $"redis={_redis.Configuration}", $"prefix={prefix}", $"pg={server.ConnectionString()}", $"schema={_schema}", $"spill={_dir.File($"spill-{i}.jsonl")}",
        "callers=64", $"seed={i + 1}", $"timeoutms={(int)Bound.TotalMilliseconds}", "retryms=200", .. extra]);

    private async Task<UsageReport> ReportAsync(PostgresServer server)
    {
        await using var queries = new PostgreSqlUsageQueries(server.ConnectionString(), _schema);
        var now = DateTimeOffset.UtcNow;
        return await queries.BuildAsync(new UsageAggregateQuery
        {
            From = now.AddDays(-1), To = now.AddDays(1), Filter = new UsageFilter { Budget = "shared", Statuses = [UsageStatus.Success] },
        });
    }

    private async Task<List<UsageRecord>> RecordsAsync(PostgresServer server)
    {
        await using var queries = new PostgreSqlUsageQueries(server.ConnectionString(), _schema);
        var list = new List<UsageRecord>();
        var now = DateTimeOffset.UtcNow;
        await foreach (var r in queries.ReadRecordsAsync(now.AddDays(-1), now.AddDays(1), new UsageFilter { Statuses = [UsageStatus.Success] })) list.Add(r);
        return list;
    }

    [Fact]
    public async Task Four_processes_with_64_callers_each_one_report_equals_the_sum_of_every_acknowledged_call()
    {
        var server = fixture.Server;
        var prefix = RedisProcess.NewPrefix();
        var workers = Enumerable.Range(0, 4).Select(i => StartWorker(server, prefix, i, "calls=6")).ToList();
        try
        {
            foreach (var worker in workers) Assert.True(await worker.WaitForExitAsync(ProcessTimeout) == 0, worker.Output);
            var acknowledged = workers.SelectMany(w => w.Committed).ToList();
            Assert.Equal(4 * (64 * 6 + 1), acknowledged.Count);
            Assert.Equal(acknowledged.Count, workers.Sum(w => w.DoneValue("committed")));

            var report = await ReportAsync(server);
            var diag = $"records={await Records.ScalarAsync(server, _schema, "SELECT count(*) FROM usage_records")} rollup={await Records.ScalarAsync(server, _schema, "SELECT sum(requests) FROM usage_hourly")} statuses={await Records.ScalarAsync(server, _schema, "SELECT count(distinct status) FROM usage_records")} hours={await Records.ScalarAsync(server, _schema, "SELECT count(*) FROM usage_hourly")}";
            Assert.True(acknowledged.Count == report.Total.Requests, diag + " report=" + report.Total.Requests);
            Assert.Equal(acknowledged.Sum(a => a.Input), report.Total.InputTokens);
            Assert.Equal(acknowledged.Sum(a => a.Output), report.Total.OutputTokens);
            Assert.Equal(acknowledged.Sum(a => a.Cost), report.Total.CostUsd);
            var ids = (await RecordsAsync(server)).Select(r => r.Id).ToList();
            foreach (var worker in workers) output.WriteLine(worker.Done);
            output.WriteLine($"acknowledged={acknowledged.Count} report.requests={report.Total.Requests} report.cost={report.Total.CostUsd}");
            Assert.Equal(acknowledged.Select(a => a.Id).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        }
        finally
        {
            foreach (var worker in workers) await worker.DisposeAsync();
        }
    }

    [Fact]
    public async Task PostgreSQL_stopped_mid_run_blocks_no_call_past_the_bound_and_loses_or_doubles_nothing_even_in_a_process_killed_while_spilling()
    {
        var server = fixture.Restartable;
        var prefix = RedisProcess.NewPrefix();
        var workers = Enumerable.Range(0, 4).Select(i => StartWorker(server, prefix, i, "forever=true")).ToList();
        try
        {
            await Until.TrueAsync(() => workers.All(w => w.Committed.Count >= 100), ProgressTimeout, "every worker to commit through the database",
                () => string.Join("\n\n", workers.Select(w => w.Diagnostics)));

            var stoppedAt = DateTime.UtcNow;
            server.Stop("immediate");
            await Until.TrueAsync(() => workers.All(w => w.HasSpilled && w.CommittedAfterSpillStarted >= 100), ProgressTimeout, "every worker to commit through the spill",
                () => string.Join("\n\n", workers.Select(w => w.Diagnostics)));
            var victim = workers[3];
            victim.Kill();
            var killedAcknowledged = victim.Committed.ToList();

            var startedAt = DateTime.UtcNow;
            server.Start();
            var survivors = workers.Take(3).ToList();
            await Until.TrueAsync(() => survivors.All(w => w.Lines.Contains("S 0")), ProgressTimeout, "every survivor to drain its spill",
                () => string.Join("\n\n", survivors.Select(w => w.Diagnostics)));
            var counts = survivors.Select(w => w.Committed.Count).ToList();
            await Until.TrueAsync(() => survivors.Select((w, i) => w.Committed.Count >= counts[i] + 50).All(b => b), ProgressTimeout, "commits through the database again");
            foreach (var worker in survivors) worker.Stop();
            foreach (var worker in survivors) Assert.True(await worker.WaitForExitAsync(ProcessTimeout) == 0, worker.Output);

            // No call waited on the ledger past the bound: the database's part is at most the write timeout; beyond it a
            // call waits only for the local spill's write and fsync (measured by the ledger), and Redis.
            foreach (var worker in survivors)
            {
                output.WriteLine($"{worker.Done} committed-after-spill-started={worker.CommittedAfterSpillStarted}");
                // Slack for a saturated machine: four workers, PostgreSQL, Redis and the test share two cores, and an append may
                // wait for one group fsync before its own; and the longest the worker's thread pool ran a timer late (a
                // caller's continuation waits as long for the same reason). A wait on the stopped database would show as
                // whole seconds more than all of that.
                var allowed = Bound.TotalMilliseconds + 2 * worker.DoneValue("maxspillms") + worker.DoneValue("maxlagms") + 1000;
                Assert.True(worker.DoneValue("maxappendms") <= allowed, $"{worker.Done} (allowed {allowed:0} ms)");
            }

            // The killed instance restarts: its spill, fsynced before each acknowledgement, is replayed when its ledger opens.
            await using (var restarted = await PostgreSqlUsageLedger.OpenAsync(new PostgreSqlLedgerOptions
            {
                ConnectionString = server.ConnectionString(), Schema = _schema, SpillPath = _dir.File("spill-3.jsonl"),
            }))
            {
                Assert.Equal(0, restarted.SpillCount);
            }

            var stored = await RecordsAsync(server);
            var storedIds = stored.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
            Assert.Equal(stored.Count, storedIds.Count);
            // Every acknowledged call of the killed process is there…
            Assert.Subset(storedIds, killedAcknowledged.Select(a => a.Id).ToHashSet(StringComparer.Ordinal));
            // …and the survivors' calls are there exactly: each acknowledged one once, nothing else.
            var survivorsAcknowledged = survivors.SelectMany(w => w.Committed).ToList();
            var killedStored = stored.Where(r => !survivorsAcknowledged.Any(a => a.Id == r.Id)).ToList();
            Assert.Equal(stored.Count - killedStored.Count, survivorsAcknowledged.Count);
            Assert.True(killedStored.Count >= killedAcknowledged.Count);

            output.WriteLine($"killed: acknowledged={killedAcknowledged.Count} stored={killedStored.Count}; survivors acknowledged={survivorsAcknowledged.Count}; stored={stored.Count}");
            // One report over all instances equals the records, the rollup agreeing with them after the replay.
            var report = await ReportAsync(server);
            Assert.Equal(stored.Count, report.Total.Requests);
            Assert.Equal(stored.Sum(r => r.InputTokens), report.Total.InputTokens);
            Assert.Equal(stored.Sum(r => r.CostUsd), report.Total.CostUsd);
            Assert.Equal(survivorsAcknowledged.Sum(a => a.Cost) + killedStored.Sum(r => r.CostUsd), report.Total.CostUsd);
        }
        finally
        {
            foreach (var worker in workers) await worker.DisposeAsync();
        }
    }
}
