using GuardedAI.Sqlite;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>
/// One ledger-query abstraction over two stores: the same records in PostgreSQL and in SQLite give the same report for
/// every grouping, bucket, time zone (daylight saving, half-hour offsets), unaligned range and filter — exactly, money
/// to the last digit — and both equal the brute-force sums of the records. Both run the same SQL (LedgerSql) in their
/// own dialects, reading the daily and hourly rollups each store keeps on append.
/// </summary>
[Collection("postgres")]
public sealed class QueryParityTests(PostgresFixture fixture) : IAsyncLifetime
{
    private static readonly List<UsageRecord> All = Records.Generate(3000, seed: 11);
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static (string Schema, string SqlitePath)? _filled;
    private PostgreSqlUsageQueries _postgres = null!;
    private SqliteUsageQueries _sqlite = null!;

    /// <summary>Fills both stores once for the whole class (the same records, each through its store's own writer).</summary>
    public async Task InitializeAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_filled is null)
            {
                var schema = PostgresFixture.NewSchema();
                var dir = Path.Combine(Path.GetTempPath(), "guardedai-pg-tests", "parity-" + Guid.NewGuid().ToString("N")[..8]);
                Directory.CreateDirectory(dir);
                await using (var ledger = await PostgreSqlUsageLedger.OpenAsync(Records.Options(fixture.Server, schema, Path.Combine(dir, "spill.jsonl"))))
                {
                    foreach (var chunk in All.Chunk(500)) await Task.WhenAll(chunk.Select(r => ledger.AppendAsync(r).AsTask()));
                }
                var path = Path.Combine(dir, "ledger.db");
                await using (var sqlite = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path, Durability = LedgerDurability.Batched, BatchSize = 2048 }))
                {
                    foreach (var r in All) await sqlite.AppendAsync(r);
                    await sqlite.FlushAsync();
                }
                _filled = (schema, path);
            }
        }
        finally
        {
            Gate.Release();
        }
        _postgres = new PostgreSqlUsageQueries(fixture.Server.ConnectionString(), _filled.Value.Schema);
        _sqlite = new SqliteUsageQueries(_filled.Value.SqlitePath);
    }

    public async Task DisposeAsync() => await _postgres.DisposeAsync();

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
        // Whole days from the daily rollup, whole hours around them from the hourly one, partial hours from the records.
        { "2025-03-21T10:17:33.1234567Z", "2025-04-17T03:59:59Z", "UTC", "Day", "model", "" },
        { "2025-03-21T10:00:00Z", "2025-04-17T05:00:00Z", "UTC", "Week", "tenant", "statuses=Denied|Cancelled" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Both_stores_give_the_sums_of_the_records(string from, string to, string zone, string bucket, string groupBy, string filter)
    {
        var query = Query(from, to, zone, bucket, groupBy, filter);
        var expected = Expected(All, query);

        var postgres = Rows(await _postgres.BuildAsync(query));
        var sqlite = Rows(await _sqlite.BuildAsync(query));

        Assert.NotEmpty(expected);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), postgres.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, totals) in expected) Assert.Equal(totals, postgres[key]);
        Assert.Equal(sqlite.Keys.Order(StringComparer.Ordinal), postgres.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, totals) in sqlite) Assert.Equal(totals, postgres[key]);
    }

    [Fact]
    public async Task Records_read_back_equal_those_written_oldest_first()
    {
        var from = new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero);
        var filter = new UsageFilter { Tenant = "acme", TagKey = "category", TagValue = "billing" };
        var read = new List<UsageRecord>();
        await foreach (var r in _postgres.ReadRecordsAsync(from, from.AddDays(5), filter)) read.Add(r);
        var expected = All.Where(r => r.Timestamp >= from && r.Timestamp < from.AddDays(5) && filter.Matches(r)).OrderBy(r => r.Timestamp).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(r => r.Id), read.Select(r => r.Id));
        Assert.Equal(expected.Select(r => (r.ConversationId, r.RunId, r.PriceTableVersion, r.CostUsd, r.Tags["category"])),
            read.Select(r => (r.ConversationId, r.RunId, r.PriceTableVersion, r.CostUsd, r.Tags["category"])));
    }

    [Fact]
    public async Task The_description_counts_every_record_and_names_no_password()
    {
        var description = await _postgres.DescribeAsync();
        Assert.Equal(All.Count, description.Records);
        Assert.Equal(All.Min(r => r.Timestamp), description.First);
        Assert.Equal(All.Max(r => r.Timestamp), description.Last);
        Assert.Equal(PostgreSqlSchema.CurrentVersion, description.SchemaVersion);
        Assert.DoesNotContain(PostgresServer.Password, description.Location);
        Assert.Contains(_filled!.Value.Schema, description.Location);
    }

    private static UsageAggregateQuery Query(string from, string to, string zone, string bucket, string groupBy, string filter)
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
    private static Dictionary<string, UsageTotals> Expected(IEnumerable<UsageRecord> records, UsageAggregateQuery query)
    {
        var starts = UsageCalendar.Starts(query.Bucket, query.From, query.To, query.TimeZone);
        return records.Where(r => r.Timestamp >= query.From && r.Timestamp < query.To && query.Filter.Matches(r))
            .GroupBy(r => Key(starts.Last(s => s <= r.Timestamp), query.GroupBy.Select(g => g.ValueOf(r)).ToList()))
            .ToDictionary(g => g.Key, g => UsageTotals.From(g.Select(r => (r.Status, UsageSums.Of(r)))));
    }

    private static Dictionary<string, UsageTotals> Rows(UsageReport report) => report.Rows.ToDictionary(r => Key(r.BucketStart, r.Keys), r => r.Totals);

    private static string Key(DateTimeOffset bucket, IReadOnlyList<string?> keys) =>
        bucket.UtcTicks + "|" + string.Join("|", keys.Select(k => string.IsNullOrEmpty(k) ? "<null>" : k));
}
