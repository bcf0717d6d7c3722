using GuardedAI.Retention;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>
/// Retention on a PostgreSQL ledger, with a fake clock, as on SQLite: raw records older than N days go (whole chain
/// segments, in bounded batches), rollups stay and keep report totals of retained periods unchanged, the current
/// windows' records stay so counters restore exactly, and the chain still verifies; the background worker under
/// <c>GuardedAI:PostgreSql:Retention</c> applies it on the engine's clock.
/// </summary>
[Collection("postgres")]
public sealed class RetentionTests(PostgresFixture fixture) : IDisposable
{
    private static readonly DateTimeOffset Now = new(2030, 7, 15, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new();
    private readonly string _schema = PostgresFixture.NewSchema();

    public void Dispose() => _dir.Dispose();

    private PostgreSqlLedgerOptions Options() => Records.Options(fixture.Server, _schema, _dir.File("spill.jsonl"))
        .Also(o => { o.Durability = PostgreSqlDurability.Batched; o.BatchSize = 500; });

    private static BudgetPolicy Policy() => BudgetPolicy.Create("support")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1000)
        .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 500m)
        .Build();

    private static UsageRecord Record(DateTimeOffset at, int i) => new()
    {
        Id = "r" + i, Timestamp = at, Budget = "support", Provider = "openai", Model = "gpt-4o-mini",
        InputTokens = 100 + i % 7, OutputTokens = 10, CostUsd = 0.01m + i % 3 / 1000m, Status = UsageStatus.Success,
    };

    /// <summary>Six records a day (every four hours) from <paramref name="from"/> to now.</summary>
    private async Task<List<UsageRecord>> FillAsync(DateTimeOffset from)
    {
        var records = new List<UsageRecord>();
        var i = 0;
        for (var at = from; at < Now; at += TimeSpan.FromHours(4)) records.Add(Record(at, i++));
        await using var ledger = await PostgreSqlUsageLedger.OpenAsync(Options());
        foreach (var r in records) await ledger.AppendAsync(r);
        return records;
    }

    private async Task<UsageSums> TotalAsync(int fromMonth, int fromDay, int toMonth, int toDay)
    {
        var sums = default(UsageSums);
        await using var queries = new PostgreSqlUsageQueries(fixture.Server.ConnectionString(), _schema);
        await foreach (var row in queries.AggregateAsync(new UsageAggregateQuery
        {
            From = new DateTimeOffset(2030, fromMonth, fromDay, 0, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2030, toMonth, toDay, 0, 0, 0, TimeSpan.Zero),
        }))
        {
            sums += row.Sums;
        }
        return sums;
    }

    [Fact]
    public async Task Old_records_go_rollups_stay_report_totals_hold_counters_restore_and_the_chain_verifies()
    {
        var records = await FillAsync(new DateTimeOffset(2030, 1, 1, 1, 0, 0, TimeSpan.Zero));
        var policy = new RetentionPolicy { RawRecordDays = 30, RollupMonths = 4, BatchSize = 4 };
        var plan = policy.Plan(Now);
        Assert.Equal(new DateTimeOffset(2030, 6, 15, 0, 0, 0, TimeSpan.Zero), plan.RawBefore);
        var february = await TotalAsync(2, 1, 3, 1);
        var march = await TotalAsync(3, 1, 4, 1);
        var may = await TotalAsync(5, 1, 6, 1);
        var juneFirstHalf = await TotalAsync(6, 1, 6, 15);
        Assert.Equal(31 * 6, may.Requests);

        var preview = await PostgreSqlLedgerRetention.PreviewAsync(Options(), policy, Now);
        var old = records.Count(r => r.Timestamp < plan.RawBefore);
        Assert.Equal(old, preview.Records);
        Assert.Equal(165, preview.Segments);   // one segment per day from 1 January to 14 June (one writer)
        Assert.Equal(records.Count, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM usage_records"));

        var report = await PostgreSqlLedgerRetention.ApplyAsync(Options(), policy, Now);

        Assert.Equal(old, report.Records);
        Assert.Equal(165, report.Segments);
        Assert.True(report.Batches >= old / 4, "batches of at most four rows");
        Assert.True(report.RollupRows > 0);
        await using (var reader = await PostgreSqlUsageLedger.OpenAsync(Options()))
        {
            var left = await reader.ReadAllAsync(UsageQuery.All);
            Assert.Equal(records.Where(r => r.Timestamp >= plan.RawBefore).Select(r => r.Id), left.Select(r => r.Id));
        }

        // Rollups of retained months (from March: four months back) answer the reports exactly as the records did; older ones are gone.
        Assert.Equal(may, await TotalAsync(5, 1, 6, 1));
        Assert.Equal(juneFirstHalf, await TotalAsync(6, 1, 6, 15));
        Assert.Equal(march, await TotalAsync(3, 1, 4, 1));
        Assert.Equal(28 * 6, february.Requests);
        Assert.Equal(0, (await TotalAsync(2, 1, 3, 1)).Requests);

        // The chain verifies: whole segments went with their heads, and each removal is an audit entry in today's chain.
        var verified = await PostgreSqlLedgerVerifier.VerifyAsync(Options());
        Assert.True(verified.IsIntact, string.Join("\n", verified.Findings));
        Assert.Equal(records.Count - old + 165, verified.Entries);

        // Counters restore from the current windows' records, which retention kept.
        var clock = new FakeTimeProvider(Now);
        await using var engine = await BudgetEngine.CreateAsync(new BudgetEngineOptions
        {
            TimeProvider = clock, LogAlerts = false, Ledger = await PostgreSqlUsageLedger.OpenAsync(Options()), Policies = { Policy() },
        });
        var usage = await engine.GetUsageAsync(Policy());
        var july = records.Where(r => r.Timestamp >= new DateTimeOffset(2030, 7, 1, 0, 0, 0, TimeSpan.Zero)).ToList();
        Assert.Equal(july.Sum(r => r.CostUsd), usage.Single(u => u.Limit.Window == BudgetWindow.Month).Used);
        Assert.Equal(records.Count(r => r.Timestamp >= Now.Date), usage.Single(u => u.Limit.Window == BudgetWindow.Day).Used);
    }

    [Fact]
    public async Task A_segment_cut_between_batches_is_re_anchored_so_the_chain_verifies_at_every_step()
    {
        await using (var ledger = await PostgreSqlUsageLedger.OpenAsync(Options()))
        {
            for (var i = 0; i < 10; i++) await ledger.AppendAsync(Record(new DateTimeOffset(2030, 1, 2, 0, 0, 0, TimeSpan.Zero).AddMinutes(i), i));
        }
        var policy = new RetentionPolicy { RawRecordDays = 30, RollupMonths = 4, BatchSize = 3 };
        // Stopped after its first batch (as a shutdown would stop it), the segment is half removed.
        var first = await PostgreSqlLedgerRetention.ApplyAsync(Options(), policy, Now, null, maxBatches: 1, CancellationToken.None);
        Assert.Equal(3, first.Records);
        Assert.Equal(0, first.Segments);
        var midway = await PostgreSqlLedgerVerifier.VerifyAsync(Options());
        Assert.True(midway.IsIntact, string.Join("\n", midway.Findings));
        Assert.Equal(7, midway.Entries);

        var rest = await PostgreSqlLedgerRetention.ApplyAsync(Options(), policy, Now);
        Assert.Equal(7, rest.Records);
        var after = await PostgreSqlLedgerVerifier.VerifyAsync(Options());
        Assert.True(after.IsIntact, string.Join("\n", after.Findings));
        Assert.Equal(1, after.Entries);   // the retention.segment audit entry
    }

    [Fact]
    public async Task An_open_billing_period_holds_its_records_back_and_the_daily_rollup_goes_with_its_hours()
    {
        var records = await FillAsync(new DateTimeOffset(2030, 1, 1, 1, 0, 0, TimeSpan.Zero));
        var policy = new RetentionPolicy { RawRecordDays = 30, RollupMonths = 4, BatchSize = 1000 };
        var keepFrom = new DateTimeOffset(2030, 5, 1, 0, 0, 0, TimeSpan.Zero);

        var report = await PostgreSqlLedgerRetention.ApplyAsync(Options(), policy, Now, keepFrom);

        Assert.Equal("an open billing period", report.Plan.HeldBackBy);
        Assert.Equal(records.Count(r => r.Timestamp < keepFrom), report.Records);
        Assert.Equal(records.Count(r => r.Timestamp >= keepFrom), await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM usage_records"));
        // Rollups before March went, hourly and daily alike; from March on both remain.
        var march = new DateTimeOffset(2030, 3, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;
        Assert.Equal(0, await Records.ScalarAsync(fixture.Server, _schema, $"SELECT count(*) FROM usage_daily WHERE day_ticks < {march}"));
        Assert.Equal(0, await Records.ScalarAsync(fixture.Server, _schema, $"SELECT count(*) FROM usage_hourly WHERE hour_ticks < {march}"));
        Assert.Equal(records.Count(r => r.Timestamp.UtcTicks >= march), await Records.ScalarAsync(fixture.Server, _schema, "SELECT sum(requests) FROM usage_daily"));
        var verified = await PostgreSqlLedgerVerifier.VerifyAsync(Options());
        Assert.True(verified.IsIntact, string.Join("\n", verified.Findings));
    }

    [Fact]
    public async Task The_worker_removes_expired_records_at_start_and_every_interval_on_the_engines_clock()
    {
        var records = await FillAsync(new DateTimeOffset(2030, 4, 1, 1, 0, 0, TimeSpan.Zero));
        var clock = new FakeTimeProvider(Now);
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        services.AddSingleton<TimeProvider>(clock);
        services.AddGuardedAI(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GuardedAI:Budgets:support:MonthlyRequests"] = "100000",
            ["GuardedAI:PostgreSql:ConnectionString"] = fixture.Server.ConnectionString(),
            ["GuardedAI:PostgreSql:Schema"] = _schema,
            ["GuardedAI:PostgreSql:SpillPath"] = _dir.File("worker.jsonl"),
            ["GuardedAI:PostgreSql:Retention:RawDays"] = "30",
            ["GuardedAI:PostgreSql:Retention:RollupMonths"] = "4",
            ["GuardedAI:PostgreSql:Retention:IntervalMinutes"] = "1440",
            ["GuardedAI:PostgreSql:Retention:BatchSize"] = "50",
        }).Build()).AddPostgreSqlLedger();
        await using var provider = services.BuildServiceProvider();
        var engine = await provider.GetGuardedAIEngineAsync();
        var worker = provider.GetServices<IHostedService>().OfType<PostgreSqlRetentionWorker>().Single();
        await worker.StartAsync(CancellationToken.None);

        // Right after the start: records of days before 15 June (30 days before 15 July) are gone, the rest is there.
        var expired = records.Count(r => r.Timestamp < new DateTimeOffset(2030, 6, 15, 0, 0, 0, TimeSpan.Zero));
        await Until.TrueAsync(() => logs.Lines.Any(l => l.Contains("[1911]")), TimeSpan.FromSeconds(60), "the first retention run");
        var first = logs.Lines.Single(l => l.Contains("[1911]"));
        Assert.Contains($"removed {expired} usage records", first);
        Assert.Contains("run at 2030-07-15T12:00:00", first);
        Assert.Equal(records.Count - expired, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM usage_records"));

        // An interval later on the engine's clock, the next day's records have expired too.
        clock.Advance(TimeSpan.FromDays(1));
        await Until.TrueAsync(() => logs.Lines.Count(l => l.Contains("[1911]")) == 2, TimeSpan.FromSeconds(60), "the second retention run");
        Assert.Contains("removed 6 usage records", logs.Lines.Last(l => l.Contains("[1911]")));
        Assert.Contains("run at 2030-07-16T12:00:00", logs.Lines.Last(l => l.Contains("[1911]")));

        // The removals are audit entries in this instance's own segment, beside the records its ledger writes.
        var writer = Assert.IsType<PostgreSqlUsageLedger>(engine.Ledger).ChainWriter;
        Assert.True(await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM audit_log WHERE action = 'retention.segment'") > 0);
        Assert.Equal(0, await Records.ScalarAsync(fixture.Server, _schema, $"SELECT count(*) FROM audit_log WHERE chain_segment NOT LIKE '{writer}/%'"));

        await worker.StopAsync(CancellationToken.None);
        await engine.DisposeAsync();
        var verified = await PostgreSqlLedgerVerifier.VerifyAsync(Options());
        Assert.True(verified.IsIntact, string.Join("\n", verified.Findings));
        Assert.DoesNotContain(logs.Lines, l => l.Contains(PostgresServer.Password, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("RollupMonths", "1", "GuardedAI:PostgreSql:Retention:RollupMonths")]   // one month cannot cover the 90 default days of raw records
    [InlineData("IntervalMinutes", "0", "GuardedAI:PostgreSql:Retention:IntervalMinutes")]
    [InlineData("RawDay", "30", "GuardedAI:PostgreSql:Retention:RawDay")]
    [InlineData("KeepFrom", "June", "GuardedAI:PostgreSql:Retention:KeepFrom")]
    public async Task A_bad_retention_section_fails_the_start_naming_the_setting(string key, string value, string path)
    {
        var services = new ServiceCollection();
        services.AddGuardedAI(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GuardedAI:PostgreSql:ConnectionString"] = fixture.Server.ConnectionString(),
            ["GuardedAI:PostgreSql:Schema"] = _schema,
            ["GuardedAI:PostgreSql:SpillPath"] = _dir.File("bad.jsonl"),
            ["GuardedAI:PostgreSql:Retention:" + key] = value,
        }).Build()).AddPostgreSqlLedger();
        await using var provider = services.BuildServiceProvider();

        var error = await Assert.ThrowsAsync<GuardedAIConfigurationException>(() => provider.GetGuardedAIEngineAsync());

        Assert.Contains(error.Errors, e => e.Path == path);
    }
}
