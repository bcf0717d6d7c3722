using System.Diagnostics;
using GuardedAI.PostgreSql;
using GuardedAI.Reports;
using Npgsql;

namespace GuardedAI.Benchmarks;

/// <summary>
/// The month report of <see cref="MonthReport"/> (October, by model, the same N records spread over the month) on a
/// PostgreSQL ledger: the report GuardedAI builds (<see cref="PostgreSqlUsageQueries"/>, which reads the daily and hourly
/// rollups kept by every append) beside the raw <c>GROUP BY model</c> over the records. The ledger is loaded through the
/// ledger's importer (binary <c>COPY</c>, then the statement that inserts and rolls up), into a schema of its own that
/// later runs reuse.
/// </summary>
internal static class MonthReportPostgres
{
    private static readonly DateTimeOffset October = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private const int LoadChunk = 250_000;

    public sealed record Result(long Records, double ReportMs, double RawGroupByMs, long ReportAllocatedBytes, double BuildSeconds);

    /// <summary>Null when no PostgreSQL server is configured or installed.</summary>
    public static async Task<Result?> RunAsync(long records, int repeats)
    {
        using var server = PostgresServer.Start();
        if (server is null) return null;
        var schema = $"bench_month_{records}";
        double built = 0;
        if (!await IsCompleteAsync(server.ConnectionString, schema))
        {
            var watch = Stopwatch.StartNew();
            await BuildAsync(server.ConnectionString, schema, records);
            built = watch.Elapsed.TotalSeconds;
        }

        await using var queries = new PostgreSqlUsageQueries(server.ConnectionString, schema);
        var query = new UsageAggregateQuery { From = October, To = October.AddMonths(1), Bucket = UsageBucket.Month, GroupBy = [UsageGrouping.Model] };
        // Warmed first: the tables' pages in the server's cache, the code jitted, a pooled connection.
        var (reportMs, allocated) = await Stats.TimeReportAsync("PostgreSQL", () => queries.BuildAsync(query), records, repeats);

        await using var connection = new NpgsqlConnection(server.ConnectionString + $";Search Path={schema};Command Timeout=0");
        await connection.OpenAsync();
        await using var raw = new NpgsqlCommand(
            "SELECT model, count(*), sum(input_tokens), sum(output_tokens), sum(cost_usd) FROM usage_records WHERE ts_ticks >= @from AND ts_ticks < @to GROUP BY model", connection);
        raw.Parameters.AddWithValue("from", October.UtcTicks);
        raw.Parameters.AddWithValue("to", October.AddMonths(1).UtcTicks);
        var rawWatch = Stopwatch.StartNew();
        await using (var reader = await raw.ExecuteReaderAsync()) while (await reader.ReadAsync()) { }
        return new Result(records, reportMs, rawWatch.Elapsed.TotalMilliseconds, allocated, built);
    }

    private static async Task<bool> IsCompleteAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "CREATE TABLE IF NOT EXISTS public.bench_meta (name text PRIMARY KEY); SELECT EXISTS (SELECT 1 FROM public.bench_meta WHERE name = @schema)", connection);
        command.Parameters.AddWithValue("schema", schema);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Loads the records of <see cref="MonthReport"/>'s file (ids, a spread over the month, 3 budgets, 50 tenants,
    /// 5 models) through the ledger's importer, in chunks, then has the server analyze the tables.</summary>
    private static async Task BuildAsync(string connectionString, string schema, long records)
    {
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
        await using (var importer = await PostgreSqlLedgerImporter.OpenAsync(new PostgreSqlLedgerOptions { ConnectionString = connectionString, Schema = schema }))
        {
            for (long start = 0; start < records; start += LoadChunk)
            {
                var chunk = new List<UsageRecord>((int)Math.Min(LoadChunk, records - start));
                for (var i = start; i < start + chunk.Capacity; i++) chunk.Add(Record(i, records));
                var written = await importer.WriteAsync(chunk);
                if (written != chunk.Count) throw new InvalidOperationException($"The importer wrote {written} of {chunk.Count} records.");
            }
        }
        await using (var connection = new NpgsqlConnection(connectionString + ";Command Timeout=0"))
        {
            await connection.OpenAsync();
            // One statement a command: VACUUM cannot run in the implicit transaction of a multi-statement command.
            foreach (var table in new[] { "usage_records", "usage_hourly", "usage_daily" })
            {
                await using var vacuum = new NpgsqlCommand($"VACUUM ANALYZE \"{schema}\".{table}", connection);
                await vacuum.ExecuteNonQueryAsync();
            }
            await using var mark = new NpgsqlCommand("INSERT INTO public.bench_meta VALUES (@schema) ON CONFLICT DO NOTHING", connection);
            mark.Parameters.AddWithValue("schema", schema);
            await mark.ExecuteNonQueryAsync();
        }
    }

    private static readonly string[] Budgets = ["support", "search", "agents"];
    private static readonly string[] Models = ["gpt-4o-mini", "gpt-4o", "claude-sonnet-4", "gemini-2.5-flash", "o4-mini"];
    private static readonly string[] Tenants = Enumerable.Range(0, 50).Select(i => "tenant-" + i).ToArray();

    private static UsageRecord Record(long i, long records) => new()
    {
        Id = i.ToString("x16", System.Globalization.CultureInfo.InvariantCulture),
        Timestamp = new DateTimeOffset(October.UtcTicks + (long)((Int128)i * 26_784_000_000_000 / records), TimeSpan.Zero),
        Budget = Budgets[i % 3],
        Tenant = Tenants[i % 50],
        Provider = "openai",
        Model = Models[i % 5],
        InputTokens = 500 + i % 700,
        OutputTokens = 100 + i % 300,
        ReservedInputTokens = 520 + i % 700,
        ReservedOutputTokens = 1024,
        ReservedCostUsd = 0.0012m,
        CostUsd = 0.00042m,
        UsageReported = true,
        Duration = TimeSpan.FromTicks(9_000_000),
        Status = UsageStatus.Success,
        PriceTableVersion = "2026-11-01",
    };
}
