using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GuardedAI.PostgreSql;
using Npgsql;
using NpgsqlTypes;

namespace GuardedAI.Benchmarks;

/// <summary>
/// Appends records of one hour (as a live ledger receives them) to a PostgreSQL ledger from 64 callers
/// (<c>pgappend N rounds</c>): batched and synchronous durability, each
/// batch chained and rolled up in one transaction, beside the raw peer — binary <c>COPY</c> of the same rows (every
/// column the ledger writes) into the ledger's table and indexes in a schema of its own, 256 rows per transaction, from
/// one writer as the ledger has, no chain, no rollup. Each round uses fresh schemas; the three are alternated, and the medians are reported.
/// </summary>
internal static class PostgreSqlAppendProbe
{
    private const int Callers = 64;
    private const int Batch = 256;

    public static async Task RunAsync(int records, int rounds)
    {
        using var server = PostgresServer.Start() ?? throw new InvalidOperationException("No PostgreSQL: install it or set GUARDEDAI_BENCH_POSTGRES.");
        var batched = new List<double>();
        var synchronous = new List<double>();
        var raw = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            // As a live ledger receives them: calls of the last hour (SampleRecords spreads its records over a month, which
            // would make every record of a batch a rollup row of its own).
            var hour = new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
            var rows = Enumerable.Range(0, records)
                .Select(i => SampleRecords.Record((long)round * records + i) with { Timestamp = hour.AddMilliseconds(i * (3_600_000.0 / records)) }).ToList();
            batched.Add(await LedgerAsync(server.ConnectionString, $"bench_append_b{round}", rows, PostgreSqlDurability.Batched));
            synchronous.Add(await LedgerAsync(server.ConnectionString, $"bench_append_s{round}", rows, PostgreSqlDurability.Synchronous));
            raw.Add(await RawAsync(server.ConnectionString, $"bench_append_r{round}", rows));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round + 1}: ledger batched {batched[^1]:#,0}/s, ledger synchronous {synchronous[^1]:#,0}/s, raw COPY {raw[^1]:#,0}/s"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{records:#,0} records, {Callers} callers, medians of {rounds}: ledger batched {Stats.Median(batched):#,0}/s ({Stats.Median(batched) / Stats.Median(raw):0.00} of raw), " +
            $"synchronous {Stats.Median(synchronous):#,0}/s ({Stats.Median(synchronous) / Stats.Median(raw):0.00} of raw), raw COPY {Stats.Median(raw):#,0}/s"));
    }

    private static async Task<double> LedgerAsync(string connectionString, string schema, List<UsageRecord> rows, PostgreSqlDurability durability)
    {
        await DropAsync(connectionString, schema);
        await using var ledger = await PostgreSqlUsageLedger.OpenAsync(new PostgreSqlLedgerOptions
        {
            ConnectionString = connectionString, Schema = schema, Durability = durability, SpillPath = SpillPath(schema), BatchSize = Batch,
            WriteTimeout = TimeSpan.FromSeconds(30),
        });
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < rows.Count) await ledger.AppendAsync(rows[i]);
        })));
        await ledger.FlushAsync();
        var elapsed = watch.Elapsed.TotalSeconds;
        if (ledger.SpillCount != 0 || ledger.WrittenCount != rows.Count)
            throw new InvalidOperationException($"The ledger wrote {ledger.WrittenCount} of {rows.Count} records ({ledger.SpillCount} spilled).");
        return rows.Count / elapsed;
    }

    private static async Task<double> RawAsync(string connectionString, string schema, List<UsageRecord> rows)
    {
        await DropAsync(connectionString, schema);
        // The ledger's own table and indexes: created by opening a ledger once, then written to directly.
        await using (await PostgreSqlUsageLedger.OpenAsync(new PostgreSqlLedgerOptions { ConnectionString = connectionString, Schema = schema, SpillPath = SpillPath(schema) }))
        {
        }
        await using var connection = new NpgsqlConnection(connectionString + $";Search Path={schema}");
        await connection.OpenAsync();
        var watch = Stopwatch.StartNew();
        // One writer, like the ledger's (one loop per instance writing whole batches in turn).
        for (var start = 0; start < rows.Count; start += Batch)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY usage_records (id, ts_ticks, budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, " +
                "est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags, price_version, " +
                "conversation_id, run_id, cache_write_input_tokens, reported_input_tokens, reported_output_tokens, reported_total_tokens, " +
                "reported_cached_input_tokens, reported_reasoning_tokens, anomalies, kind, degraded_from) FROM STDIN (FORMAT BINARY)"))
            {
                for (var i = start; i < Math.Min(rows.Count, start + Batch); i++) await WriteAsync(copy, rows[i]);
                await copy.CompleteAsync();
            }
            await transaction.CommitAsync();
        }
        return rows.Count / watch.Elapsed.TotalSeconds;
    }

    private static string SpillPath(string schema) => Path.Combine(Path.GetTempPath(), $"guardedai-bench-{schema}.jsonl");

    private static async Task WriteAsync(NpgsqlBinaryImporter copy, UsageRecord r)
    {
        await copy.StartRowAsync();
        await copy.WriteAsync(r.Id, NpgsqlDbType.Text);
        await copy.WriteAsync(r.Timestamp.UtcTicks, NpgsqlDbType.Bigint);
        await copy.WriteAsync(r.Budget, NpgsqlDbType.Text);
        await Text(copy, r.Tenant);
        await Text(copy, r.Provider);
        await Text(copy, r.Model);
        await copy.WriteAsync(r.InputTokens, NpgsqlDbType.Bigint);
        await copy.WriteAsync(r.OutputTokens, NpgsqlDbType.Bigint);
        await copy.WriteAsync(r.CachedInputTokens, NpgsqlDbType.Bigint);
        await copy.WriteAsync(r.ReasoningTokens, NpgsqlDbType.Bigint);
        await copy.WriteAsync(r.ReservedInputTokens, NpgsqlDbType.Bigint);
        await copy.WriteAsync(r.ReservedOutputTokens, NpgsqlDbType.Bigint);
        await copy.WriteAsync(r.ReservedCostUsd, NpgsqlDbType.Numeric);
        await copy.WriteAsync(r.CostUsd, NpgsqlDbType.Numeric);
        await copy.WriteAsync(r.UsageReported, NpgsqlDbType.Boolean);
        await copy.WriteAsync(r.Duration.Ticks, NpgsqlDbType.Bigint);
        await copy.WriteAsync((int)r.Status, NpgsqlDbType.Integer);
        await Text(copy, r.Reason);
        await copy.WriteAsync(JsonSerializer.Serialize(r.Tags), NpgsqlDbType.Jsonb);
        await Text(copy, r.PriceTableVersion);
        await Text(copy, r.ConversationId);
        await Text(copy, r.RunId);
        await copy.WriteAsync(r.CacheWriteInputTokens, NpgsqlDbType.Bigint);
        await Long(copy, r.ReportedInputTokens);
        await Long(copy, r.ReportedOutputTokens);
        await Long(copy, r.ReportedTotalTokens);
        await Long(copy, r.ReportedCachedInputTokens);
        await Long(copy, r.ReportedReasoningTokens);
        await Text(copy, r.Anomalies);
        await copy.WriteAsync((int)r.Kind, NpgsqlDbType.Integer);
        await Text(copy, r.DegradedFrom);
    }

    private static Task Text(NpgsqlBinaryImporter copy, string? value) => value is null ? copy.WriteNullAsync() : copy.WriteAsync(value, NpgsqlDbType.Text);

    private static Task Long(NpgsqlBinaryImporter copy, long? value) => value is { } v ? copy.WriteAsync(v, NpgsqlDbType.Bigint) : copy.WriteNullAsync();

    private static async Task DropAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
