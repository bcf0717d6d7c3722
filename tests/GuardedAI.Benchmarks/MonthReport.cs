using System.Diagnostics;
using GuardedAI.Reports;
using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Benchmarks;

/// <summary>
/// A month report (October, by model) over a SQLite ledger of N records spread over the month: the report GuardedAI
/// builds (<see cref="UsageReports.BuildAsync"/> on <see cref="SqliteUsageQueries"/>, which reads the hourly rollup
/// kept on append), beside the raw <c>GROUP BY model</c> over the records. The file is built once with SQL (records and
/// then the rollup caught up, as a migrated file is) and kept in the temp directory for later runs.
/// </summary>
internal static class MonthReport
{
    private static readonly DateTimeOffset October = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);

    public sealed record Result(long Records, double ReportMs, double RawGroupByMs, long ReportAllocatedBytes, double BuildSeconds);

    public static async Task<Result> RunAsync(long records, int repeats)
    {
        // The smoke run's small file is its own (test runs of several worktrees may run at once) and is deleted after.
        var own = BenchmarkScale.Smoke;
        var path = Path.Combine(Path.GetTempPath(), own ? $"guardedai-bench-month-{records}-{Environment.ProcessId}.db" : $"guardedai-bench-month-{records}.db");
        try
        {
            return await RunAsync(path, records, repeats);
        }
        finally
        {
            if (own)
            {
                SqliteConnection.ClearAllPools();
                foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
            }
        }
    }

    private static async Task<Result> RunAsync(string path, long records, int repeats)
    {
        double built = 0;
        if (!File.Exists(path) || !IsComplete(path))
        {
            var watch = Stopwatch.StartNew();
            Build(path, records);
            built = watch.Elapsed.TotalSeconds;
        }

        var queries = new SqliteUsageQueries(path);
        var query = new UsageAggregateQuery { From = October, To = October.AddMonths(1), Bucket = UsageBucket.Month, GroupBy = [UsageGrouping.Model] };
        // Warmed first: the file's pages in the OS cache, the code jitted.
        var (reportMs, allocated) = await Stats.TimeReportAsync("SQLite", () => queries.BuildAsync(query), records, repeats);

        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var raw = connection.CreateCommand();
        raw.CommandText = "SELECT model, count(*), sum(input_tokens), sum(output_tokens), sum(cost_usd) FROM usage_records WHERE ts_ticks >= $from AND ts_ticks < $to GROUP BY model;";
        raw.Parameters.AddWithValue("$from", October.UtcTicks);
        raw.Parameters.AddWithValue("$to", October.AddMonths(1).UtcTicks);
        var rawWatch = Stopwatch.StartNew();
        using (var reader = raw.ExecuteReader()) while (reader.Read()) { }
        var rawMs = rawWatch.Elapsed.TotalMilliseconds;
        return new Result(records, reportMs, rawMs, allocated, built);
    }

    private static bool IsComplete(string path)
    {
        try
        {
            using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT value FROM bench_meta WHERE name = 'complete';";
            return command.ExecuteScalar() is not null;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    /// <summary>Fills the ledger's own table with SQL (ids, a spread over the month, 3 budgets, 50 tenants, 5 models), then
    /// lets the ledger roll it up as it does for a migrated file.</summary>
    private static void Build(string path, long records)
    {
        foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
        new SqliteUsageLedger(new SqliteLedgerOptions { Path = path }).DisposeAsync().AsTask().GetAwaiter().GetResult();
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var fill = connection.CreateCommand();
            fill.CommandTimeout = 0;
            fill.CommandText = $"""
                PRAGMA synchronous=OFF;
                BEGIN;
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {records - 1})
                INSERT INTO usage_records (id, ts_ticks, budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens,
                    reasoning_tokens, est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status,
                    price_version, cache_write_input_tokens, kind)
                SELECT printf('%016x', i), {October.UtcTicks} + (i * 26784000000000 / {records}), 
                    CASE i % 3 WHEN 0 THEN 'support' WHEN 1 THEN 'search' ELSE 'agents' END, 'tenant-' || (i % 50), 'openai',
                    CASE i % 5 WHEN 0 THEN 'gpt-4o-mini' WHEN 1 THEN 'gpt-4o' WHEN 2 THEN 'claude-sonnet-4' WHEN 3 THEN 'gemini-2.5-flash' ELSE 'o4-mini' END,
                    500 + i % 700, 100 + i % 300, 0, 0, 520 + i % 700, 1024, '0.0012', '0.00042', 1, 9000000, 0, '2026-11-01', 0, 0
                FROM n;
                COMMIT;
                """;
            fill.ExecuteNonQuery();
        }
        // Rolls up everything past the watermark (all of it), as for a file migrated from before the rollup.
        _ = new SqliteUsageQueries(path);
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var mark = connection.CreateCommand();
            mark.CommandText = "CREATE TABLE IF NOT EXISTS bench_meta (name TEXT PRIMARY KEY, value TEXT); INSERT OR REPLACE INTO bench_meta VALUES ('complete', '1');";
            mark.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
    }
}
