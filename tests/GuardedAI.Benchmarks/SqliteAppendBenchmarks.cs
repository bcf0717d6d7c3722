using BenchmarkDotNet.Attributes;
using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Benchmarks;

/// <summary>
/// Appending 1,000 usage records to the SQLite ledger, beside raw Microsoft.Data.Sqlite inserting the same rows into the
/// same table (one prepared statement, 1,000 rows per transaction, WAL): batched durability (appends return at once,
/// then a flush) against raw at <c>synchronous=NORMAL</c>, and synchronous durability (each of 1,000 concurrent appends
/// waits for its commit; the writer commits whatever is queued together) against raw at <c>synchronous=FULL</c>.
/// </summary>
[MemoryDiagnoser]
public class SqliteAppendBenchmarks
{
    public const int Rows = 1000;

    /// <summary>The ledgers' <see cref="SqliteLedgerOptions.BatchSize"/>: <see cref="Rows"/>, or the <c>GUARDEDAI_BENCH_SQLITE_BATCH</c> environment variable.</summary>
    public static int BatchSize => int.TryParse(Environment.GetEnvironmentVariable("GUARDEDAI_BENCH_SQLITE_BATCH"), out var size) ? size : Rows;

    /// <summary>The ledgers' <see cref="SqliteLedgerOptions.BackgroundCheckpoints"/>: on, unless <c>GUARDEDAI_BENCH_SQLITE_CHECKPOINTS=writer</c>
    /// (SQLite's own checkpoint on the writer, for comparing the two).</summary>
    public static bool BackgroundCheckpoints => Environment.GetEnvironmentVariable("GUARDEDAI_BENCH_SQLITE_CHECKPOINTS") != "writer";

    private string _dir = null!;
    private SqliteUsageLedger _batched = null!;
    private SqliteUsageLedger _synchronous = null!;
    private SqliteConnection _rawNormal = null!;
    private SqliteConnection _rawFull = null!;
    private long _serial;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "guardedai-bench-sqlite-" + Environment.ProcessId);
        Directory.CreateDirectory(_dir);
        // Up to Rows records per transaction, as the raw writer commits (the ledger's default BatchSize, 1,000).
        _batched = new SqliteUsageLedger(new SqliteLedgerOptions { Path = Path.Combine(_dir, "batched.db"), Durability = LedgerDurability.Batched, BatchSize = BatchSize, BackgroundCheckpoints = BackgroundCheckpoints });
        _synchronous = new SqliteUsageLedger(new SqliteLedgerOptions { Path = Path.Combine(_dir, "synchronous.db"), Durability = LedgerDurability.Synchronous, BatchSize = BatchSize, BackgroundCheckpoints = BackgroundCheckpoints });
        _rawNormal = RawWriter.Open(Path.Combine(_dir, "raw-normal.db"), "NORMAL");
        _rawFull = RawWriter.Open(Path.Combine(_dir, "raw-full.db"), "FULL");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batched.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _synchronous.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _rawNormal.Dispose();
        _rawFull.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows, Description = "raw inserts, 1,000/tx, synchronous=NORMAL")]
    public void RawNormal() => RawWriter.Insert(_rawNormal, Records());

    [Benchmark(OperationsPerInvoke = Rows, Description = "ledger, batched")]
    public async Task LedgerBatched()
    {
        foreach (var record in Records()) await _batched.AppendAsync(record);
        await _batched.FlushAsync();
    }

    [Benchmark(OperationsPerInvoke = Rows, Description = "raw inserts, 1,000/tx, synchronous=FULL")]
    public void RawFull() => RawWriter.Insert(_rawFull, Records());

    [Benchmark(OperationsPerInvoke = Rows, Description = "ledger, synchronous, 1,000 concurrent appends")]
    public Task LedgerSynchronous() => Task.WhenAll(Records().Select(r => _synchronous.AppendAsync(r).AsTask()));

    private List<UsageRecord> Records()
    {
        var start = Interlocked.Add(ref _serial, Rows) - Rows;
        return Enumerable.Range(0, Rows).Select(i => SampleRecords.Record(start + i)).ToList();
    }
}

/// <summary>Usage records shaped like real ones: a few budgets, tenants and models over a month.</summary>
internal static class SampleRecords
{
    private static readonly string[] Models = ["gpt-4o-mini", "gpt-4o", "claude-sonnet-4", "gemini-2.5-flash", "o4-mini"];
    private static readonly string[] Budgets = ["support", "search", "agents"];
    private static readonly DateTimeOffset Start = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);

    public static UsageRecord Record(long n) => new()
    {
        Id = $"{Environment.ProcessId:x}-{n:x12}-{Environment.TickCount64:x}",
        Timestamp = Start.AddSeconds(n % (31 * 86_400)),
        Budget = Budgets[n % Budgets.Length],
        Tenant = "tenant-" + (n % 50),
        Provider = "openai",
        Model = Models[n % Models.Length],
        InputTokens = 500 + n % 700,
        OutputTokens = 100 + n % 300,
        ReservedInputTokens = 520 + n % 700,
        ReservedOutputTokens = 1024,
        ReservedCostUsd = 0.0012m,
        CostUsd = 0.00042m + (n % 17) * 0.00001m,
        UsageReported = true,
        Duration = TimeSpan.FromMilliseconds(800 + n % 900),
        Status = UsageStatus.Success,
        PriceTableVersion = "2026-11-01",
    };
}

/// <summary>Raw Microsoft.Data.Sqlite: the ledger's own table and the same row for each record (every column the ledger
/// writes, bound from the record), one prepared insert, one transaction per batch — what a hand-written writer does.</summary>
internal static class RawWriter
{
    private const string Insert_ = """
        INSERT INTO usage_records (id, ts_ticks, budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens,
            reasoning_tokens, est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags,
            price_version, conversation_id, run_id, cache_write_input_tokens, reported_input_tokens, reported_output_tokens, reported_total_tokens,
            reported_cached_input_tokens, reported_reasoning_tokens, anomalies, kind, degraded_from)
        VALUES ($id, $ts, $budget, $tenant, $provider, $model, $in, $out, $cached, $reasoning, $estIn, $estOut, $estCost, $cost, $reported,
            $duration, $status, $reason, $tags, $price, $conversation, $run, $cacheWrite, $repIn, $repOut, $repTotal, $repCached, $repReasoning,
            $anomalies, $kind, $degradedFrom);
        """;

    private static readonly string[] Names =
        ["$id", "$ts", "$budget", "$tenant", "$provider", "$model", "$in", "$out", "$cached", "$reasoning", "$estIn", "$estOut", "$estCost", "$cost",
         "$reported", "$duration", "$status", "$reason", "$tags", "$price", "$conversation", "$run", "$cacheWrite", "$repIn", "$repOut", "$repTotal",
         "$repCached", "$repReasoning", "$anomalies", "$kind", "$degradedFrom"];

    /// <summary>A file with the ledger's schema (created by opening a ledger on it), opened raw in WAL mode.</summary>
    public static SqliteConnection Open(string path, string synchronous)
    {
        new SqliteUsageLedger(new SqliteLedgerOptions { Path = path }).DisposeAsync().AsTask().GetAwaiter().GetResult();
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous};";
        pragma.ExecuteNonQuery();
        return connection;
    }

    public static void Insert(SqliteConnection connection, IReadOnlyList<UsageRecord> records)
    {
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = Insert_;
        var p = Names.Select(n =>
        {
            var parameter = insert.CreateParameter();
            parameter.ParameterName = n;
            insert.Parameters.Add(parameter);
            return parameter;
        }).ToArray();
        static object Db(object? value) => value ?? DBNull.Value;
        foreach (var r in records)
        {
            p[0].Value = r.Id;
            p[1].Value = r.Timestamp.UtcTicks;
            p[2].Value = r.Budget;
            p[3].Value = Db(r.Tenant);
            p[4].Value = Db(r.Provider);
            p[5].Value = Db(r.Model);
            p[6].Value = r.InputTokens;
            p[7].Value = r.OutputTokens;
            p[8].Value = r.CachedInputTokens;
            p[9].Value = r.ReasoningTokens;
            p[10].Value = r.ReservedInputTokens;
            p[11].Value = r.ReservedOutputTokens;
            p[12].Value = r.ReservedCostUsd.ToString(System.Globalization.CultureInfo.InvariantCulture);
            p[13].Value = r.CostUsd.ToString(System.Globalization.CultureInfo.InvariantCulture);
            p[14].Value = r.UsageReported ? 1 : 0;
            p[15].Value = r.Duration.Ticks;
            p[16].Value = (int)r.Status;
            p[17].Value = Db(r.Reason);
            p[18].Value = DBNull.Value; // no tags on these records
            p[19].Value = Db(r.PriceTableVersion);
            p[20].Value = Db(r.ConversationId);
            p[21].Value = Db(r.RunId);
            p[22].Value = r.CacheWriteInputTokens;
            p[23].Value = Db(r.ReportedInputTokens);
            p[24].Value = Db(r.ReportedOutputTokens);
            p[25].Value = Db(r.ReportedTotalTokens);
            p[26].Value = Db(r.ReportedCachedInputTokens);
            p[27].Value = Db(r.ReportedReasoningTokens);
            p[28].Value = Db(r.Anomalies);
            p[29].Value = (int)r.Kind;
            p[30].Value = Db(r.DegradedFrom);
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }
}
