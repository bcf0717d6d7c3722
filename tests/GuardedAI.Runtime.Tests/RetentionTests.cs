using GuardedAI.Reports;
using GuardedAI.Retention;
using GuardedAI.Sqlite;

namespace GuardedAI.Tests;

/// <summary>
/// Retention on a SQLite ledger, with a fake clock: raw records older than N days go (whole chain segments, in
/// bounded batches), rollups stay and keep report totals of retained periods unchanged, the current windows' records
/// stay so counters restore exactly, and the chain still verifies.
/// </summary>
public class RetentionTests
{
    private static readonly DateTimeOffset Now = new(2030, 7, 15, 12, 0, 0, TimeSpan.Zero);

    private static BudgetPolicy Policy() => BudgetPolicy.Create("support")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1000)
        .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 500m)
        .Build();

    private static UsageRecord Record(DateTimeOffset at, int i) => new()
    {
        Id = "r" + i,
        Timestamp = at,
        Budget = "support",
        Provider = "openai",
        Model = "gpt-4o-mini",
        InputTokens = 100 + i % 7,
        OutputTokens = 10,
        CostUsd = 0.01m + i % 3 / 1000m,
        Status = UsageStatus.Success,
    };

    /// <summary>Six records a day (every four hours) from 1 January to today 12:00, 196 days.</summary>
    private static async Task<List<UsageRecord>> FillAsync(string path)
    {
        var records = new List<UsageRecord>();
        var i = 0;
        for (var at = new DateTimeOffset(2030, 1, 1, 1, 0, 0, TimeSpan.Zero); at < Now; at += TimeSpan.FromHours(4)) records.Add(Record(at, i++));
        await using var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path, Durability = LedgerDurability.Batched });
        foreach (var r in records) await ledger.AppendAsync(r);
        return records;
    }

    private static async Task<UsageSums> TotalAsync(string path, DateTimeOffset from, DateTimeOffset to)
    {
        var sums = default(UsageSums);
        await foreach (var row in new SqliteUsageQueries(path).AggregateAsync(new UsageAggregateQuery { From = from, To = to })) sums += row.Sums;
        return sums;
    }

    [Fact]
    public void The_plan_never_reaches_into_the_current_month_or_an_open_billing_period()
    {
        var policy = new RetentionPolicy { RawRecordDays = 7, RollupMonths = 2 };
        var plan = policy.Plan(Now);
        Assert.Equal(new DateTimeOffset(2030, 6, 30, 0, 0, 0, TimeSpan.Zero), plan.RawBefore);   // the month's windows need July (and UTC+14's 30 June)
        Assert.Equal("the current month's windows", plan.HeldBackBy);
        Assert.Equal(new DateTimeOffset(2030, 5, 1, 0, 0, 0, TimeSpan.Zero), plan.RollupsBefore);

        var billing = policy.Plan(Now, keepFrom: new DateTimeOffset(2030, 6, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2030, 6, 1, 0, 0, 0, TimeSpan.Zero), billing.RawBefore);
        Assert.Equal("an open billing period", billing.HeldBackBy);

        var late = new RetentionPolicy { RawRecordDays = 90, RollupMonths = 25 }.Plan(Now);
        Assert.Equal(new DateTimeOffset(2030, 4, 16, 0, 0, 0, TimeSpan.Zero), late.RawBefore);
        Assert.Null(late.HeldBackBy);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetentionPolicy { RawRecordDays = 0 }.Plan(Now));
    }

    [Fact]
    public async Task Old_records_go_rollups_stay_report_totals_hold_counters_restore_and_the_chain_verifies()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        var records = await FillAsync(path);
        var policy = new RetentionPolicy { RawRecordDays = 30, RollupMonths = 4, BatchSize = 4 };
        var plan = policy.Plan(Now);
        Assert.Equal(new DateTimeOffset(2030, 6, 15, 0, 0, 0, TimeSpan.Zero), plan.RawBefore);
        var february = await TotalAsync(path, new DateTimeOffset(2030, 2, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var march = await TotalAsync(path, new DateTimeOffset(2030, 3, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 4, 1, 0, 0, 0, TimeSpan.Zero));
        var may = await TotalAsync(path, new DateTimeOffset(2030, 5, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 6, 1, 0, 0, 0, TimeSpan.Zero));
        var juneFirstHalf = await TotalAsync(path, new DateTimeOffset(2030, 6, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 6, 15, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(31 * 6, may.Requests);

        var preview = SqliteLedgerRetention.Preview(path, policy, Now);
        var old = records.Count(r => r.Timestamp < plan.RawBefore);
        Assert.Equal(old, preview.Records);
        Assert.Equal(165, preview.Segments);   // one segment per day from 1 January to 14 June

        var report = SqliteLedgerRetention.Apply(path, policy, Now);

        Assert.Equal(old, report.Records);
        Assert.Equal(165, report.Segments);
        Assert.True(report.Batches >= old / 4, "batches of at most four rows");
        Assert.True(report.RollupRows > 0);
        var left = new List<UsageRecord>();
        await foreach (var r in new SqliteUsageQueries(path).ReadRecordsAsync(DateTimeOffset.MinValue, DateTimeOffset.MaxValue)) left.Add(r);
        Assert.Equal(records.Where(r => r.Timestamp >= plan.RawBefore).Select(r => r.Id), left.Select(r => r.Id));

        // Rollups of retained months (from March: four months back) answer the reports exactly as the records did; older ones are gone.
        Assert.Equal(may, await TotalAsync(path, new DateTimeOffset(2030, 5, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 6, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(juneFirstHalf, await TotalAsync(path, new DateTimeOffset(2030, 6, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 6, 15, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(march, await TotalAsync(path, new DateTimeOffset(2030, 3, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 4, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(28 * 6, february.Requests);
        Assert.Equal(0, (await TotalAsync(path, new DateTimeOffset(2030, 2, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 3, 1, 0, 0, 0, TimeSpan.Zero))).Requests);

        // The chain verifies: whole segments went with their heads, and each removal is an audit entry in today's chain.
        var verified = SqliteLedgerVerifier.Verify(path);
        Assert.True(verified.IsIntact, string.Join("\n", verified.Findings));
        Assert.Equal(left.Count + 165, verified.Entries);

        // Counters restore from the current windows' records, which retention kept.
        var clock = new FakeTimeProvider(Now);
        await using var engine = await BudgetEngine.CreateAsync(new BudgetEngineOptions
        {
            TimeProvider = clock, LogAlerts = false, Ledger = new SqliteUsageLedger(path), Policies = { Policy() },
        });
        var usage = await engine.GetUsageAsync(Policy());
        var july = records.Where(r => r.Timestamp >= new DateTimeOffset(2030, 7, 1, 0, 0, 0, TimeSpan.Zero)).ToList();
        Assert.Equal(july.Sum(r => r.CostUsd), RestoreTests.Used(usage, BudgetDimension.CostUsd, BudgetWindow.Month));
        Assert.Equal(records.Count(r => r.Timestamp >= Now.Date), RestoreTests.Used(usage, BudgetDimension.Requests, BudgetWindow.Day));
    }

    [Fact]
    public async Task A_segment_cut_between_batches_is_re_anchored_so_the_chain_verifies_at_every_step()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        await using (var ledger = new SqliteUsageLedger(path))
        {
            for (var i = 0; i < 10; i++) await ledger.AppendAsync(Record(new DateTimeOffset(2030, 1, 2, 0, 0, 0, TimeSpan.Zero).AddMinutes(i), i));
        }
        var policy = new RetentionPolicy { RawRecordDays = 30, RollupMonths = 4, BatchSize = 3 };
        // Stopped after its first batch (as a shutdown would stop it), the segment is half removed.
        var first = SqliteLedgerRetention.Apply(path, policy, Now, null, maxBatches: 1, CancellationToken.None);
        Assert.Equal(3, first.Records);
        Assert.Equal(0, first.Segments);
        var midway = SqliteLedgerVerifier.Verify(path);
        Assert.True(midway.IsIntact, string.Join("\n", midway.Findings));
        Assert.Equal(7, midway.Entries);

        var rest = SqliteLedgerRetention.Apply(path, policy, Now);
        Assert.Equal(7, rest.Records);
        var after = SqliteLedgerVerifier.Verify(path);
        Assert.True(after.IsIntact, string.Join("\n", after.Findings));
        Assert.Equal(1, after.Entries);   // the retention.segment audit entry
    }
}
