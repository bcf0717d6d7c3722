using Npgsql;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>The PostgreSQL ledger against a real server: what it writes, once, durably, in a versioned schema.</summary>
[Collection("postgres")]
public sealed class LedgerTests(PostgresFixture fixture) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _schema = PostgresFixture.NewSchema();

    public void Dispose() => _dir.Dispose();

    private Task<PostgreSqlUsageLedger> OpenAsync(Action<PostgreSqlLedgerOptions>? change = null)
    {
        var options = Records.Options(fixture.Server, _schema, _dir.File("spill.jsonl"));
        change?.Invoke(options);
        return PostgreSqlUsageLedger.OpenAsync(options);
    }

    [Fact]
    public async Task A_synchronous_append_is_committed_when_it_returns_with_every_field()
    {
        await using var ledger = await OpenAsync();
        var record = Records.Record(Records.Start.AddTicks(1234567), tenant: "acme", cost: 0.000123456789m,
            tags: new Dictionary<string, string> { ["team"] = "core \"x\"", ["ünïcode"] = "✓" }, conversation: "c1", run: "r1") with
        {
            ReportedInputTokens = 1001, ReportedOutputTokens = null, ReportedTotalTokens = 1201, Anomalies = "negative", Kind = UsageKind.Turn,
            DegradedFrom = "gpt-4o", CacheWriteInputTokens = 17, UsageReported = true, Duration = TimeSpan.FromTicks(98765), Reason = "ok",
        };

        await ledger.AppendAsync(record);

        // Another connection sees it at once: acknowledged means committed.
        Assert.Equal(1, await Records.ScalarAsync(fixture.Server, _schema, $"SELECT count(*) FROM usage_records WHERE id = '{record.Id}'"));
        var read = await ledger.ReadAllAsync(UsageQuery.All);
        var only = Assert.Single(read);
        Assert.Equal(record with { Tags = null! }, only with { Tags = null! });
        Assert.Equal(record.Tags, only.Tags);
        Assert.Equal(1, ledger.WrittenCount);
        Assert.Equal(0, ledger.SpilledCount);
    }

    [Fact]
    public async Task An_id_is_written_once_whoever_appends_it_and_the_rollup_counts_it_once()
    {
        var records = Records.Generate(300, seed: 3);
        await using (var first = await OpenAsync())
        await using (var second = await OpenAsync(o => o.SpillPath = _dir.File("other.jsonl")))
        {
            // Two instances append overlapping records concurrently.
            await Task.WhenAll(
                Task.Run(async () => { foreach (var r in records.Take(200)) await first.AppendAsync(r); }),
                Task.Run(async () => { foreach (var r in records.Skip(100)) await second.AppendAsync(r); }),
                Task.Run(async () => { foreach (var r in records.Take(50)) await second.AppendAsync(r); }));
        }
        Assert.Equal(300, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM usage_records"));
        Assert.Equal(300, await Records.ScalarAsync(fixture.Server, _schema, "SELECT sum(requests) FROM usage_hourly"));
        Assert.Equal(records.Sum(r => r.InputTokens), await Records.ScalarAsync(fixture.Server, _schema, "SELECT sum(input_tokens) FROM usage_hourly"));
    }

    [Fact]
    public async Task Text_postgresql_cannot_hold_is_stored_as_a_replacement_and_never_costs_the_batch_its_other_records()
    {
        // A NUL from a caller (a tag), half a surrogate pair from a provider ("\ud800" is valid JSON: a model name); whole
        // pairs (an emoji) are kept.
        await using var ledger = await OpenAsync(o => { o.Durability = PostgreSqlDurability.Batched; o.FlushInterval = TimeSpan.FromMinutes(10); });
        var tags = new Dictionary<string, string> { ["user\0"] = "a\0b", ["half\udc00"] = "\ud83d\ude00\ud800" };
        var odd = Records.Record(Records.Start, tags: tags) with { Reason = "bad\0reason", Model = "m\ud800-x" };
        var others = Records.Generate(20, seed: 8);
        foreach (var r in others.Take(10).Append(odd).Concat(others.Skip(10))) await ledger.AppendAsync(r);

        await ledger.FlushAsync();

        Assert.Equal(21, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM usage_records"));
        var stored = (await ledger.ReadAllAsync(UsageQuery.All)).Single(r => r.Id == odd.Id);
        Assert.Equal("bad\uFFFDreason", stored.Reason);
        Assert.Equal("m\uFFFD-x", stored.Model);
        Assert.Equal("a\uFFFDb", stored.Tags["user\uFFFD"]);
        Assert.Equal("\ud83d\ude00\uFFFD", stored.Tags["half\uFFFD"]);
        Assert.Equal(0, ledger.FailedCount);

        // Reports filtered by the text as it came find the record (the filter is stored text too), not a refused query.
        await using var queries = new PostgreSqlUsageQueries(fixture.Server.ConnectionString(), _schema);
        foreach (var filter in new[] { new UsageFilter { Model = "m\ud800-x" }, new UsageFilter { TagKey = "half\udc00", TagValue = "\ud83d\ude00\ud800" } })
        {
            var found = new List<UsageRecord>();
            await foreach (var r in queries.ReadRecordsAsync(Records.Start.AddDays(-1), Records.Start.AddDays(1), filter)) found.Add(r);
            Assert.Equal(odd.Id, Assert.Single(found).Id);
        }
    }

    [Fact]
    public async Task A_record_the_database_refuses_itself_is_failed_alone_kept_aside_and_its_batch_is_written_without_spilling()
    {
        // A constraint (SQLSTATE 23514) is about the record, unlike a database that takes no writes at all (OutageTests):
        // the batch is written one by one, only that record fails, and nothing waits in the spill for it.
        await using var ledger = await OpenAsync(o => { o.Durability = PostgreSqlDurability.Batched; o.FlushInterval = TimeSpan.FromMinutes(10); });
        await Records.ScalarAsync(fixture.Server, _schema, "ALTER TABLE usage_records ADD CONSTRAINT no_poison CHECK (id <> 'poison'); SELECT 1");
        var records = Records.Generate(20, seed: 10);
        foreach (var r in records.Take(10).Append(records[0] with { Id = "poison" }).Concat(records.Skip(10))) await ledger.AppendAsync(r);

        await ledger.FlushAsync();

        Assert.Equal(20, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM usage_records"));
        Assert.Equal(1, ledger.FailedCount);
        Assert.Equal(0, ledger.SpillCount);
        Assert.False(ledger.IsSpilling);
        // Not only a log line: the record itself is kept beside the spill.
        var kept = Assert.Single(File.ReadAllLines(ledger.RefusedPath));
        Assert.Equal("poison", System.Text.Json.JsonSerializer.Deserialize<UsageRecord>(kept)!.Id);
    }

    [Fact]
    public async Task Batched_appends_return_at_once_and_are_written_by_the_flush()
    {
        await using var ledger = await OpenAsync(o => { o.Durability = PostgreSqlDurability.Batched; o.FlushInterval = TimeSpan.FromMinutes(10); o.BatchSize = 1000; });
        var records = Records.Generate(500, seed: 5);
        foreach (var r in records) await ledger.AppendAsync(r);
        Assert.Equal(500, ledger.PendingCount + ledger.WrittenCount);

        await ledger.FlushAsync();

        Assert.Equal(500, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM usage_records"));
        Assert.Equal(0, ledger.PendingCount);
    }

    [Fact]
    public async Task The_schema_is_versioned_and_a_newer_or_foreign_schema_is_refused_unchanged()
    {
        await using (await OpenAsync()) { }
        Assert.Equal(PostgreSqlSchema.CurrentVersion, await Records.ScalarAsync(fixture.Server, _schema, "SELECT version FROM schema_version"));
        await using (await OpenAsync()) { } // opening again migrates nothing and fails nothing

        await fixture.Server.ExecuteAsync($"UPDATE \"{_schema}\".schema_version SET version = 99");
        var newer = await Assert.ThrowsAsync<InvalidOperationException>(() => OpenAsync());
        Assert.Contains("schema version 99, newer than", newer.Message);
        Assert.DoesNotContain(PostgresServer.Password, newer.Message);

        var foreign = PostgresFixture.NewSchema();
        await fixture.Server.ExecuteAsync($"CREATE SCHEMA {foreign}; CREATE TABLE {foreign}.customers (id int)");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgreSqlUsageLedger.OpenAsync(Records.Options(fixture.Server, foreign, _dir.File("f.jsonl"))));
        Assert.Contains("did not create", refused.Message);
        Assert.Equal(0, await Records.ScalarAsync(fixture.Server, "public", $"SELECT count(*) FROM pg_tables WHERE schemaname = '{foreign}' AND tablename <> 'customers'"));
    }

    [Fact]
    public async Task Instances_starting_together_migrate_once()
    {
        var ledgers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => OpenAsync(o => o.SpillPath = _dir.File($"s{i}.jsonl"))));
        foreach (var l in ledgers) await l.DisposeAsync();
        Assert.Equal(PostgreSqlSchema.CurrentVersion, await Records.ScalarAsync(fixture.Server, _schema, "SELECT version FROM schema_version"));
        Assert.Equal(1, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM schema_version"));
    }

    [Fact]
    public async Task An_unreachable_server_at_start_fails_with_a_message_without_the_password()
    {
        var options = Records.Options(fixture.Server, _schema, _dir.File("x.jsonl"));
        options.ConnectionString = new NpgsqlConnectionStringBuilder(options.ConnectionString) { Port = 1 }.ConnectionString;
        options.WriteTimeout = TimeSpan.FromSeconds(1);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgreSqlUsageLedger.OpenAsync(options));
        Assert.Contains("postgresql://127.0.0.1:1/postgres", ex.Message);
        Assert.DoesNotContain(PostgresServer.Password, ex.ToString());
    }

    [Fact]
    public async Task Two_instances_cannot_share_one_spill_file_and_the_file_is_free_again_once_the_first_closes()
    {
        var first = await OpenAsync();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => OpenAsync());
        Assert.Contains("GuardedAI:PostgreSql:SpillPath", ex.Message);
        await first.DisposeAsync();
        await using var second = await OpenAsync();
        Assert.False(second.IsSpilling);
    }

    [Fact]
    public void A_bad_connection_string_names_the_setting_and_never_echoes_the_value()
    {
        var options = new PostgreSqlLedgerOptions { ConnectionString = "Host=db;Password=hunter2-secret;Port=notaport" };
        var ex = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("GuardedAI:PostgreSql:ConnectionString", ex.Message);
        Assert.DoesNotContain("hunter2-secret", ex.Message);
    }
}
