using Npgsql;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>
/// The daily rollup (schema 3): filled from the hourly one when an older database is migrated, kept with it by every
/// append and every import (a large import goes in by binary COPY), and what reports read for whole days.
/// </summary>
[Collection("postgres")]
public sealed class RollupTests(PostgresFixture fixture) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _schema = PostgresFixture.NewSchema();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Migration_3_fills_the_daily_rollup_from_the_hourly_one_and_appends_keep_both()
    {
        var before = Records.Generate(1500, seed: 21);
        await using (var ledger = await PostgreSqlUsageLedger.OpenAsync(Records.Options(fixture.Server, _schema, _dir.File("spill.jsonl"))))
        {
            foreach (var chunk in before.Chunk(500)) await Task.WhenAll(chunk.Select(r => ledger.AppendAsync(r).AsTask()));
        }
        // The database as schema 2 left it as far as migration 3 is concerned: records and the hourly rollup, no daily
        // rollup (migration 3 adds only that table). Migration 3 alone is run on it; the later steps are already there.
        await fixture.Server.ExecuteAsync($"DROP TABLE \"{_schema}\".usage_daily; UPDATE \"{_schema}\".schema_version SET version = 2");
        await using (var setup = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fixture.Server.ConnectionString()) { SearchPath = _schema }.ConnectionString))
        {
            await PostgreSqlSchema.MigrateAsync(setup, _schema, "test", 3, CancellationToken.None);
        }
        Assert.Equal(3, await Records.ScalarAsync(fixture.Server, _schema, "SELECT version FROM schema_version"));
        Assert.Equal(0, await DailyDisagreesWithHourlyAsync());
        await fixture.Server.ExecuteAsync($"UPDATE \"{_schema}\".schema_version SET version = {PostgreSqlSchema.CurrentVersion}");

        var after = Records.Generate(700, seed: 22);
        await using (var ledger = await PostgreSqlUsageLedger.OpenAsync(Records.Options(fixture.Server, _schema, _dir.File("spill2.jsonl"))))
        {
            foreach (var chunk in after.Chunk(350)) await Task.WhenAll(chunk.Select(r => ledger.AppendAsync(r).AsTask()));
        }

        Assert.Equal(0, await DailyDisagreesWithHourlyAsync());
        Assert.Equal(2200, await Records.ScalarAsync(fixture.Server, _schema, "SELECT sum(requests) FROM usage_daily"));
        await AssertDailyReportAsync([.. before, .. after]);
    }

    [Fact]
    public async Task A_large_import_goes_in_by_copy_once_with_both_rollups()
    {
        var records = Records.Generate(PostgreSqlLedgerImporter.CopyThreshold + 1000, seed: 23);
        var options = Records.Options(fixture.Server, _schema, _dir.File("spill.jsonl"));
        await using (var importer = await PostgreSqlLedgerImporter.OpenAsync(options))
        {
            Assert.Equal(records.Count, await importer.WriteAsync(records));
            // Again, with new records among the old: only the new ones are written and rolled up.
            var more = Records.Generate(10, seed: 24);
            Assert.Equal(10, await importer.WriteAsync([.. records, .. more]));
            records.AddRange(more);
        }

        Assert.Equal(records.Count, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM usage_records"));
        Assert.Equal(records.Count, await Records.ScalarAsync(fixture.Server, _schema, "SELECT sum(requests) FROM usage_hourly"));
        Assert.Equal(0, await DailyDisagreesWithHourlyAsync());
        await AssertDailyReportAsync(records);

        // Every field survives the binary COPY as it does the multi-row insert.
        await using var queries = new PostgreSqlUsageQueries(fixture.Server.ConnectionString(), _schema);
        var read = new Dictionary<string, UsageRecord>();
        await foreach (var r in queries.ReadRecordsAsync(DateTimeOffset.MinValue, DateTimeOffset.MaxValue)) read.Add(r.Id, r);
        foreach (var r in records)
        {
            Assert.Equal(r with { Tags = null! }, read[r.Id] with { Tags = null! });
            Assert.Equal(r.Tags, read[r.Id].Tags);
        }
    }

    /// <summary>Rows of the daily rollup that differ from the hourly rollup's sums over their day (or are missing from either).</summary>
    private Task<long> DailyDisagreesWithHourlyAsync() => Records.ScalarAsync(fixture.Server, _schema, """
        SELECT count(*) FROM (
            SELECT hour_ticks - hour_ticks % 864000000000 AS day_ticks, budget, tenant, provider, model, status, price_version,
                sum(requests) AS requests, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cost_usd) AS cost_usd,
                sum(est_cost_usd) AS est_cost_usd, sum(duration_ticks) AS duration_ticks
            FROM usage_hourly GROUP BY 1, 2, 3, 4, 5, 6, 7) h
        FULL JOIN usage_daily d USING (day_ticks, budget, tenant, provider, model, status, price_version)
        WHERE d.requests IS DISTINCT FROM h.requests OR d.input_tokens IS DISTINCT FROM h.input_tokens OR d.output_tokens IS DISTINCT FROM h.output_tokens
            OR d.cost_usd IS DISTINCT FROM h.cost_usd OR d.est_cost_usd IS DISTINCT FROM h.est_cost_usd OR d.duration_ticks IS DISTINCT FROM h.duration_ticks
        """);

    /// <summary>A report by UTC day over a range that starts and ends inside a day: equal to the records' own sums.</summary>
    private async Task AssertDailyReportAsync(IReadOnlyList<UsageRecord> records)
    {
        var from = Records.Start.AddDays(1).AddHours(5).AddMinutes(17);
        var to = Records.Start.AddDays(38).AddHours(3).AddMinutes(59);
        var query = new UsageAggregateQuery { From = from, To = to, Bucket = UsageBucket.Day, GroupBy = [UsageGrouping.Model] };
        await using var queries = new PostgreSqlUsageQueries(fixture.Server.ConnectionString(), _schema);
        var report = await queries.BuildAsync(query);

        var starts = UsageCalendar.Starts(query.Bucket, from, to, TimeZoneInfo.Utc);
        var expected = records.Where(r => r.Timestamp >= from && r.Timestamp < to)
            .GroupBy(r => (starts.Last(s => s <= r.Timestamp), r.Model))
            .ToDictionary(g => g.Key, g => UsageTotals.From(g.Select(r => (r.Status, UsageSums.Of(r)))));
        Assert.Equal(expected.Count, report.Rows.Count);
        foreach (var row in report.Rows) Assert.Equal(expected[(row.BucketStart, row.Keys[0])], row.Totals);
    }
}
