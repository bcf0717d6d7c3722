using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Tests;

public class SqliteLedgerTests
{
    private static UsageRecord Record(string id, DateTimeOffset at, string budget = "b", long input = 10, long output = 5, decimal cost = 0.000123456789m,
        UsageStatus status = UsageStatus.Success, string? tenant = null) => new()
    {
        Id = id,
        Timestamp = at,
        Budget = budget,
        Tenant = tenant,
        Provider = "openai",
        Model = "gpt-4o-mini",
        InputTokens = input,
        OutputTokens = output,
        CachedInputTokens = 2,
        ReasoningTokens = 1,
        ReservedInputTokens = input + 1,
        ReservedOutputTokens = output + 10,
        ReservedCostUsd = cost * 2,
        CostUsd = cost,
        UsageReported = true,
        Duration = TimeSpan.FromMilliseconds(1234.5),
        Status = status,
        Reason = status == UsageStatus.Success ? null : "why",
        Tags = new Dictionary<string, string> { ["category"] = "billing" },
        CacheWriteInputTokens = 3,
        ReportedInputTokens = -input,
        ReportedOutputTokens = output,
        ReportedTotalTokens = long.MaxValue,
        ReportedCachedInputTokens = 2,
        ReportedReasoningTokens = null,
        Anomalies = "input tokens reported as -10; counted as 0",
    };

    [Fact]
    public async Task Records_round_trip_exactly_and_survive_reopening()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        var original = Record("r1", TestEngine.Start);
        await using (var ledger = new SqliteUsageLedger(path))
        {
            await ledger.AppendAsync(original);
            await ledger.AppendAsync(Record("r2", TestEngine.Start.AddMinutes(1), status: UsageStatus.Failed));
        }
        await using var reopened = new SqliteUsageLedger(path);
        var records = await reopened.ReadAllAsync(UsageQuery.All);
        Assert.Equal(2, records.Count);
        var read = records[0];
        Assert.Equal(original with { Tags = read.Tags }, read);
        Assert.Equal("billing", read.Tags["category"]);
        Assert.Equal(UsageStatus.Failed, records[1].Status);
        Assert.Equal("why", records[1].Reason);
    }

    [Fact]
    public async Task Queries_filter_by_time_budget_and_tenant_and_use_the_indexes()
    {
        using var dir = new TempDirectory();
        await using var ledger = new SqliteUsageLedger(dir.File("q.db"));
        for (var i = 0; i < 20; i++)
        {
            await ledger.AppendAsync(Record($"r{i}", TestEngine.Start.AddHours(i), budget: i % 2 == 0 ? "even" : "odd", tenant: i % 4 == 0 ? "acme" : null));
        }
        var query = new UsageQuery { From = TestEngine.Start.AddHours(4), To = TestEngine.Start.AddHours(12), Budget = "even" };
        var ids = (await ledger.ReadAllAsync(query)).Select(r => r.Id).ToArray();
        Assert.Equal(["r4", "r6", "r8", "r10"], ids);
        Assert.Equal(["r0", "r4", "r8", "r12", "r16"], (await ledger.ReadAllAsync(new UsageQuery { Tenant = "acme" })).Select(r => r.Id).ToArray());

        await using var connection = new SqliteConnection($"Data Source={ledger.Path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN SELECT * FROM usage_records WHERE budget = 'even' AND ts_ticks >= 0 ORDER BY ts_ticks";
        using var reader = command.ExecuteReader();
        var plan = "";
        while (reader.Read()) plan += reader.GetString(3) + "\n";
        Assert.Contains("ix_usage_budget_ts", plan);
    }

    [Fact]
    public async Task Synchronous_appends_are_on_disk_when_they_return_and_concurrent_ones_share_batches()
    {
        using var dir = new TempDirectory();
        var path = dir.File("sync.db");
        await using var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path, Durability = LedgerDurability.Synchronous, BatchSize = 64 });
        await Task.WhenAll(Enumerable.Range(0, 500).Select(i => Task.Run(() => ledger.AppendAsync(Record($"c{i}", TestEngine.Start)).AsTask())));

        // Another connection (another process would see the same) sees all 500 without any flush.
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM usage_records";
        Assert.Equal(500L, (long)command.ExecuteScalar()!);
        Assert.Equal(500, ledger.WrittenCount);
    }

    [Fact]
    public async Task Batched_appends_return_at_once_and_are_all_written_by_dispose()
    {
        using var dir = new TempDirectory();
        var path = dir.File("batched.db");
        var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path, Durability = LedgerDurability.Batched, FlushInterval = TimeSpan.FromSeconds(30), QueueCapacity = 100_000 });
        for (var i = 0; i < 1000; i++) await ledger.AppendAsync(Record($"b{i}", TestEngine.Start));
        await ledger.DisposeAsync();

        await using var reopened = new SqliteUsageLedger(path);
        Assert.Equal(1000, (await reopened.ReadAllAsync(UsageQuery.All)).Count);
    }

    [Fact]
    public async Task A_full_queue_never_drops_a_record()
    {
        using var dir = new TempDirectory();
        await using var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = dir.File("full.db"), Durability = LedgerDurability.Batched, QueueCapacity = 2, BatchSize = 1 });
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => ledger.AppendAsync(Record($"f{i}", TestEngine.Start)).AsTask()));
        Assert.Equal(200, (await ledger.ReadAllAsync(UsageQuery.All)).Count);
    }

    [Fact]
    public async Task Appending_the_same_id_twice_keeps_one_record()
    {
        using var dir = new TempDirectory();
        await using var ledger = new SqliteUsageLedger(dir.File("dup.db"));
        await ledger.AppendAsync(Record("same", TestEngine.Start));
        await ledger.AppendAsync(Record("same", TestEngine.Start));
        Assert.Single(await ledger.ReadAllAsync(UsageQuery.All));
    }

    [Fact]
    public async Task A_file_of_an_older_schema_is_migrated_and_keeps_its_records()
    {
        using var dir = new TempDirectory();
        var path = dir.File("old.db");
        using (var v1 = SqliteSchema.Open(path, synchronousFull: true, targetVersion: 1))
        {
            Assert.Equal(1, SqliteSchema.GetVersion(v1));
            using var insert = v1.CreateCommand();
            insert.CommandText = """
                INSERT INTO usage_records (id, ts_ticks, budget, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
                    est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status)
                VALUES ('old-1', $ts, 'b', 7, 3, 0, 0, 7, 3, '0.5', '0.25', 1, 0, 0);
                """;
            insert.Parameters.AddWithValue("$ts", TestEngine.Start.UtcTicks);
            insert.ExecuteNonQuery();
        }

        await using var ledger = new SqliteUsageLedger(path);
        var old = Assert.Single(await ledger.ReadAllAsync(UsageQuery.All));
        Assert.Equal(("old-1", 7L, 0.25m), (old.Id, old.InputTokens, old.CostUsd));
        using var connection = SqliteSchema.Open(path, synchronousFull: true);
        Assert.Equal(SqliteSchema.CurrentVersion, SqliteSchema.GetVersion(connection));
        Assert.Equal("1", SqliteSchema.Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE name = 'breaker_state'"));
    }

    [Fact]
    public void A_file_of_a_newer_schema_or_a_foreign_database_is_refused_and_left_unchanged()
    {
        using var dir = new TempDirectory();
        var newer = dir.File("newer.db");
        using (var c = new SqliteConnection($"Data Source={newer};Pooling=False"))
        {
            c.Open();
            SqliteSchema.Execute(c, "PRAGMA user_version = 99;");
        }
        var error = Assert.Throws<InvalidOperationException>(() => new SqliteUsageLedger(newer));
        Assert.Contains("schema version 99", error.Message);
        Assert.Contains("newer", error.Message);

        var foreign = dir.File("foreign.db");
        using (var c = new SqliteConnection($"Data Source={foreign};Pooling=False"))
        {
            c.Open();
            SqliteSchema.Execute(c, "CREATE TABLE customers (id INTEGER);");
        }
        Assert.Contains("did not create", Assert.Throws<InvalidOperationException>(() => new SqliteUsageLedger(foreign)).Message);

        var garbage = dir.File("garbage.db");
        File.WriteAllText(garbage, "this is not a database, it is a text file that is long enough to have a header........");
        Assert.Contains("Is it a SQLite database?", Assert.Throws<InvalidOperationException>(() => new SqliteUsageLedger(garbage)).Message);
    }

    [Fact]
    public async Task The_file_is_in_wal_mode()
    {
        using var dir = new TempDirectory();
        await using var ledger = new SqliteUsageLedger(dir.File("wal.db"));
        await ledger.AppendAsync(Record("w", TestEngine.Start));
        using var connection = new SqliteConnection($"Data Source={ledger.Path};Pooling=False");
        connection.Open();
        Assert.Equal("wal", SqliteSchema.Scalar(connection, "PRAGMA journal_mode;"));
    }

    [Theory]
    [InlineData(5, true)]   // busy: another connection writes
    [InlineData(6, true)]   // locked
    [InlineData(10, true)]  // I/O error
    [InlineData(13, true)]  // the disk is full
    [InlineData(14, true)]  // the file cannot be opened
    [InlineData(8, true)]   // read-only: a disk remounted read-only after errors
    [InlineData(3, true)]   // a permission taken away
    [InlineData(19, false)] // a constraint: about the records
    [InlineData(20, false)] // a value of the wrong type: about the records
    [InlineData(1, false)]  // a bad statement
    public void Conditions_of_the_file_keep_records_waiting_and_only_those(int sqliteErrorCode, bool waits)
    {
        // Records the writer cannot write for one of these wait in memory (the ledger reports itself unavailable, the engine
        // applies its StoreFailureMode; SqliteLockTests shows the waiting with a real lock); any other error fails its batch
        // after five attempts. (A read-only file system cannot be staged here: Linux refuses to remount one read-only while
        // the ledger holds its file open for writing; only the kernel's own remount after disk errors does it.)
        Assert.Equal(waits, SqliteUsageLedger.WaitsForTheFile(new SqliteException("test", sqliteErrorCode)));
    }
}
