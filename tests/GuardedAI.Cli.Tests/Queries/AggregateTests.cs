using GuardedAI.Cli.Tests.Support;
using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Cli.Tests.Queries;

/// <summary>
/// The SQLite dialect of <see cref="IUsageLedgerQueries"/> against a brute-force computation over the same records:
/// every grouping, bucket, time zone (daylight saving, half-hour offsets) and unaligned range must give exactly the
/// sums of the records, whether the rollup, the records, or both answer.
/// </summary>
public sealed class AggregateTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2025, 3, 20, 0, 0, 0, TimeSpan.Zero); // spans Europe's DST change on 30 March
    private readonly TempDir _dir = new();
    private readonly List<UsageRecord> _records = Generate(4000, seed: 7);

    public void Dispose() => _dir.Dispose();

    private static List<UsageRecord> Generate(int count, int seed)
    {
        var random = new Random(seed);
        string[] budgets = ["support", "search", "=cmd|' /C calc'!A0"];
        string?[] tenants = ["acme", "globex", null, "initech"];
        (string, string)[] models = [("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-5"), ("google", "gemini-2.5-pro")];
        var statuses = new[] { UsageStatus.Success, UsageStatus.Success, UsageStatus.Success, UsageStatus.Failed, UsageStatus.Denied, UsageStatus.Cancelled };
        var list = new List<UsageRecord>();
        for (var i = 0; i < count; i++)
        {
            var (provider, model) = models[random.Next(models.Length)];
            var at = Start.AddSeconds(random.Next(0, 40 * 24 * 3600)).AddTicks(random.Next(0, 10_000_000));
            var tags = random.Next(3) == 0 ? new Dictionary<string, string>() : new Dictionary<string, string> { ["category"] = random.Next(2) == 0 ? "billing" : "search \"quoted\"" };
            list.Add(Ledgers.Record(at, budgets[random.Next(budgets.Length)], tenants[random.Next(tenants.Length)], provider, model,
                random.Next(0, 50_000), random.Next(0, 4_000), Math.Round((decimal)random.NextDouble() * 0.25m, 9), statuses[random.Next(statuses.Length)],
                tags: tags, conversation: random.Next(4) == 0 ? null : "conv-" + random.Next(20), run: random.Next(5) == 0 ? "run-" + random.Next(3) : null,
                priceVersion: random.Next(2) == 0 ? "2025-01-01#aaaa" : "2025-02-01#bbbb"));
        }
        return list;
    }

    private async Task<SqliteUsageQueries> LedgerAsync()
    {
        var path = _dir.File("ledger.db");
        if (!File.Exists(path)) await Ledgers.FillAsync(path, _records);
        return new SqliteUsageQueries(path);
    }

    public static TheoryData<string, string, string, string, string, string> Cases => new()
    {
        // from, to, zone, bucket, group-by, filter
        { "2025-03-20T00:00:00Z", "2025-05-01T00:00:00Z", "UTC", "None", "", "" },
        { "2025-03-21T10:17:33.1234567Z", "2025-04-17T03:59:59Z", "UTC", "None", "budget,model", "" },
        { "2025-03-20T00:00:00Z", "2025-05-01T00:00:00Z", "Europe/Berlin", "Day", "budget", "" },
        { "2025-03-24T05:00:00Z", "2025-04-21T05:00:00Z", "America/New_York", "Week", "tenant,provider", "tenant=acme" },
        { "2025-03-20T00:00:00Z", "2025-05-01T00:00:00Z", "Asia/Kolkata", "Day", "model", "" },
        { "2025-03-20T00:00:00Z", "2025-05-01T00:00:00Z", "Europe/Berlin", "Month", "priceTable", "provider=openai" },
        { "2025-03-25T00:00:00Z", "2025-03-27T00:00:00Z", "UTC", "Hour", "budget", "" },
        { "2025-03-20T00:00:00Z", "2025-05-01T00:00:00Z", "UTC", "None", "tag:category", "" },
        { "2025-03-20T00:00:00Z", "2025-05-01T00:00:00Z", "UTC", "Week", "conversation", "" },
        { "2025-03-20T00:00:00Z", "2025-05-01T00:00:00Z", "UTC", "None", "run,budget", "tag:category=billing" },
        { "2025-03-20T00:00:00Z", "2025-05-01T00:00:00Z", "UTC", "None", "model", "statuses=Success|Failed" },
        { "2025-04-01T00:00:00Z", "2025-04-02T00:00:00Z", "UTC", "None", "", "conversation=conv-3" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Aggregates_equal_the_sums_of_the_records(string from, string to, string zone, string bucket, string groupBy, string filter)
    {
        var ledger = await LedgerAsync();
        var query = Query(from, to, zone, bucket, groupBy, filter);

        var report = await ledger.BuildAsync(query);

        AssertEqual(Expected(_records, query), report);
    }

    [Fact]
    public async Task Records_written_past_the_rollup_are_counted_once_and_caught_up_by_the_next_writer()
    {
        var path = _dir.File("tail.db");
        await Ledgers.FillAsync(path, _records.Take(1000));
        // A writer that does not roll up (an older GuardedAI, a hand-made repair): the records exist, the rollup lags.
        var extra = Generate(300, seed: 99);
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            foreach (var r in extra)
            {
                using var insert = connection.CreateCommand();
                insert.CommandText = """
                    INSERT INTO usage_records (id, ts_ticks, budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
                        est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags, price_version)
                    VALUES ($id, $ts, $budget, $tenant, $provider, $model, $in, $out, $cached, $reasoning, $estIn, $estOut, $estCost, $cost, 1, 0, $status, NULL, NULL, $price);
                    """;
                insert.Parameters.AddWithValue("$id", r.Id);
                insert.Parameters.AddWithValue("$ts", r.Timestamp.UtcTicks);
                insert.Parameters.AddWithValue("$budget", r.Budget);
                insert.Parameters.AddWithValue("$tenant", (object?)r.Tenant ?? DBNull.Value);
                insert.Parameters.AddWithValue("$provider", r.Provider);
                insert.Parameters.AddWithValue("$model", r.Model);
                insert.Parameters.AddWithValue("$in", r.InputTokens);
                insert.Parameters.AddWithValue("$out", r.OutputTokens);
                insert.Parameters.AddWithValue("$cached", r.CachedInputTokens);
                insert.Parameters.AddWithValue("$reasoning", r.ReasoningTokens);
                insert.Parameters.AddWithValue("$estIn", r.ReservedInputTokens);
                insert.Parameters.AddWithValue("$estOut", r.ReservedOutputTokens);
                insert.Parameters.AddWithValue("$estCost", r.ReservedCostUsd.ToString(System.Globalization.CultureInfo.InvariantCulture));
                insert.Parameters.AddWithValue("$cost", r.CostUsd.ToString(System.Globalization.CultureInfo.InvariantCulture));
                insert.Parameters.AddWithValue("$status", (int)r.Status);
                insert.Parameters.AddWithValue("$price", r.PriceTableVersion);
                insert.ExecuteNonQuery();
            }
        }
        var all = _records.Take(1000).Concat(extra.Select(r => r with { Tags = new Dictionary<string, string>() })).ToList();
        var query = Query("2025-03-20T00:00:00Z", "2025-05-01T00:00:00Z", "UTC", "Day", "model", "");
        Assert.True(Ledgers.Scalar(path, "SELECT last_seq FROM rollup_state") < Ledgers.Scalar(path, "SELECT max(seq) FROM usage_records"));

        // Read-only readers add the records past the watermark themselves…
        var reader = new SqliteUsageQueriesReadOnly(path);
        AssertEqual(Expected(all, query), await reader.Queries.BuildAsync(query));

        // …and the next writer rolls them up, exactly once.
        await Ledgers.FillAsync(path, [Ledgers.Record(new DateTimeOffset(2025, 4, 2, 12, 0, 0, TimeSpan.Zero), cost: 1.5m)]);
        Assert.Equal(Ledgers.Scalar(path, "SELECT max(seq) FROM usage_records"), Ledgers.Scalar(path, "SELECT last_seq FROM rollup_state"));
        all.Add(Ledgers.Record(new DateTimeOffset(2025, 4, 2, 12, 0, 0, TimeSpan.Zero), cost: 1.5m));
        AssertEqual(Expected(all, query), await new SqliteUsageQueries(path).BuildAsync(query));
        Assert.Equal(Ledgers.Scalar(path, "SELECT sum(requests) FROM usage_hourly"), Ledgers.Scalar(path, "SELECT count(*) FROM usage_records"));
    }

    [Fact]
    public async Task A_file_from_before_the_daily_rollup_gets_it_filled_from_the_hourly_one_and_reports_the_same()
    {
        var path = _dir.File("v8.db");
        await Ledgers.FillAsync(path, _records);
        // What a file written by schema 8 (the last before the daily rollup) looks like: the hourly rollup, no daily one.
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var downgrade = connection.CreateCommand();
            downgrade.CommandText = "DROP TABLE usage_daily; PRAGMA user_version = 8;";
            downgrade.ExecuteNonQuery();
        }

        var queries = new SqliteUsageQueries(path); // migrates to the current schema
        Assert.Equal(Ledgers.Scalar(path, "SELECT count(*) FROM usage_records"), Ledgers.Scalar(path, "SELECT sum(requests) FROM usage_daily"));
        Assert.Equal(0, Ledgers.Scalar(path, """
            SELECT count(*) FROM (SELECT hour_ticks - hour_ticks % 864000000000 AS d, budget, tenant, provider, model, status, price_version,
                sum(requests) AS n, sum(input_tokens) AS i, sum(output_tokens) AS o FROM usage_hourly GROUP BY 1, 2, 3, 4, 5, 6, 7) h
            LEFT JOIN usage_daily x ON x.day_ticks = h.d AND x.budget = h.budget AND x.tenant = h.tenant AND x.provider = h.provider
                AND x.model = h.model AND x.status = h.status AND x.price_version = h.price_version
            WHERE x.requests IS NOT h.n OR x.input_tokens IS NOT h.i OR x.output_tokens IS NOT h.o
            """));
        var query = Query("2025-03-20T00:00:00Z", "2025-05-01T00:00:00Z", "UTC", "Month", "model", "");
        AssertEqual(Expected(_records, query), await queries.BuildAsync(query));

        // Appends after the migration keep both rollups.
        var later = Ledgers.Record(new DateTimeOffset(2025, 4, 2, 12, 0, 0, TimeSpan.Zero), cost: 1.5m);
        await Ledgers.FillAsync(path, [later]);
        Assert.Equal(Ledgers.Scalar(path, "SELECT count(*) FROM usage_records"), Ledgers.Scalar(path, "SELECT sum(requests) FROM usage_daily"));
        AssertEqual(Expected([.. _records, later], query), await new SqliteUsageQueries(path).BuildAsync(query));
    }

    [Fact]
    public async Task Money_is_summed_exactly_over_many_tiny_costs()
    {
        var path = _dir.File("money.db");
        var at = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        // 20,000 costs of $0.000000105 (7 tokens at $0.015 per 1M): a double sum drifts; the decimal sum is exact.
        await Ledgers.FillAsync(path, Enumerable.Range(0, 20_000).Select(i => Ledgers.Record(at.AddSeconds(i * 7), cost: 0.000000105m)));
        var report = await new SqliteUsageQueries(path).BuildAsync(new UsageAggregateQuery { From = at, To = at.AddDays(30) });
        Assert.Equal(0.0021m, report.Total.CostUsd);
        Assert.Equal(Ledgers.SumCost(path), report.Total.CostUsd);
    }

    [Fact]
    public async Task Reading_records_streams_them_oldest_first_with_every_field()
    {
        var ledger = await LedgerAsync();
        var from = new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero);
        var read = new List<UsageRecord>();
        await foreach (var r in ledger.ReadRecordsAsync(from, from.AddDays(3), new UsageFilter { Tenant = "acme" })) read.Add(r);
        var expected = _records.Where(r => r.Timestamp >= from && r.Timestamp < from.AddDays(3) && r.Tenant == "acme").OrderBy(r => r.Timestamp).ToList();
        Assert.Equal(expected.Select(r => r.Id), read.Select(r => r.Id));
        Assert.Equal(expected.Select(r => (r.ConversationId, r.RunId, r.PriceTableVersion, r.CostUsd)), read.Select(r => (r.ConversationId, r.RunId, r.PriceTableVersion, r.CostUsd)));
    }

    internal static UsageAggregateQuery Query(string from, string to, string zone, string bucket, string groupBy, string filter)
    {
        var tz = zone == "UTC" ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(zone);
        var groups = groupBy.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(g => g switch
        {
            "budget" => UsageGrouping.Budget, "tenant" => UsageGrouping.Tenant, "provider" => UsageGrouping.Provider, "model" => UsageGrouping.Model,
            "priceTable" => UsageGrouping.PriceTable, "conversation" => UsageGrouping.Conversation, "run" => UsageGrouping.Run,
            _ => UsageGrouping.Tag(g["tag:".Length..]),
        }).ToList();
        var f = UsageFilter.None;
        foreach (var part in filter.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = (part[..part.IndexOf('=')], part[(part.IndexOf('=') + 1)..]);
            f = key switch
            {
                "tenant" => f with { Tenant = value },
                "provider" => f with { Provider = value },
                "conversation" => f with { ConversationId = value },
                "statuses" => f with { Statuses = value.Split('|').Select(Enum.Parse<UsageStatus>).ToList() },
                _ => f with { TagKey = key["tag:".Length..], TagValue = value },
            };
        }
        return new UsageAggregateQuery
        {
            From = DateTimeOffset.Parse(from, System.Globalization.CultureInfo.InvariantCulture), To = DateTimeOffset.Parse(to, System.Globalization.CultureInfo.InvariantCulture),
            TimeZone = tz, Bucket = Enum.Parse<UsageBucket>(bucket), GroupBy = groups, Filter = f,
        };
    }

    /// <summary>The brute force: every record in range that passes the filter, in the bucket whose start is the last at or before it.</summary>
    internal static Dictionary<string, UsageTotals> Expected(IEnumerable<UsageRecord> records, UsageAggregateQuery query)
    {
        var starts = UsageCalendar.Starts(query.Bucket, query.From, query.To, query.TimeZone);
        return records.Where(r => r.Timestamp >= query.From && r.Timestamp < query.To && query.Filter.Matches(r))
            .GroupBy(r => Key(starts.Last(s => s <= r.Timestamp), query.GroupBy.Select(g => g.ValueOf(r)).ToList()))
            .ToDictionary(g => g.Key, g => UsageTotals.From(g.Select(r => (r.Status, UsageSums.Of(r)))));
    }

    internal static void AssertEqual(Dictionary<string, UsageTotals> expected, UsageReport report)
    {
        var actual = report.Rows.ToDictionary(r => Key(r.BucketStart, r.Keys), r => r.Totals);
        Assert.Equal(expected.Keys.OrderBy(k => k, StringComparer.Ordinal), actual.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (key, totals) in expected) Assert.Equal(totals, actual[key]);
        var sum = expected.Values.Aggregate(0m, (s, t) => s + t.CostUsd);
        Assert.Equal(sum, report.Total.CostUsd);
        Assert.Equal(expected.Values.Sum(t => t.Requests), report.Total.Requests);
    }

    private static string Key(DateTimeOffset bucket, IReadOnlyList<string?> keys) =>
        bucket.UtcTicks + "|" + string.Join("|", keys.Select(k => string.IsNullOrEmpty(k) ? "<null>" : k));

    /// <summary>A reader that does not catch the rollup up when it opens (as a reader without write access).</summary>
    private sealed class SqliteUsageQueriesReadOnly(string path)
    {
        public IUsageLedgerQueries Queries { get; } = new SqliteUsageQueries(path, catchUpRollup: false);
    }
}
