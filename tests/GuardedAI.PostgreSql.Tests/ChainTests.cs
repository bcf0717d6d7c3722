using GuardedAI.Integrity;
using Npgsql;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>
/// The PostgreSQL ledger's hash chain against a real server: an untouched ledger verifies, and each kind of tampering
/// done with plain SQL — a changed cost (also with its hash recomputed), a deleted row (in the middle and at the end), an
/// inserted row, reordered rows, an edited audit entry — is found and named, as on SQLite.
/// </summary>
[Collection("postgres")]
public sealed class ChainTests(PostgresFixture fixture) : IDisposable
{
    private static readonly DateTimeOffset Day = new(2030, 5, 6, 9, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new();
    private readonly string _schema = PostgresFixture.NewSchema();

    public void Dispose() => _dir.Dispose();

    private PostgreSqlLedgerOptions Options(string writer = "w1") =>
        Records.Options(fixture.Server, _schema, _dir.File(writer + ".jsonl")).Also(o => o.ChainWriter = writer);

    private static UsageRecord Record(int i) => Records.Record(Day.AddMinutes(i), tenant: i % 2 == 0 ? "acme" : null, cost: 0.00123m + i / 100_000m, id: "r" + i,
        tags: new Dictionary<string, string> { ["team"] = "billing", ["app"] = "web" }) with { UsageReported = true };

    /// <summary>Ten records, a counter reset, a breaker change and an operator action, all in one writer's segment of one day.</summary>
    private async Task WriteLedgerAsync()
    {
        await using (var ledger = await PostgreSqlUsageLedger.OpenAsync(Options()))
        {
            for (var i = 0; i < 10; i++) await ledger.AppendAsync(Record(i));
        }
        await using var state = new PostgreSqlStateStore(Options());
        await state.SaveAsync(new CounterReset("support", BudgetWindow.Day, Day.Date, Day.AddHours(1), "refund"));
        await state.SaveAsync(new BreakerSnapshot("support", CircuitBreakerState.Open, Day.AddHours(3), "maintenance", Day.AddHours(2)));
        await state.AppendAsync(new OperatorAction(Day.AddHours(2), "alice", "breaker.trip", "support", "maintenance"));
    }

    private Task Sql(string sql) => fixture.Server.ExecuteAsync($"SET search_path TO \"{_schema}\"; {sql}");

    private Task<LedgerVerification> VerifyAsync() => PostgreSqlLedgerVerifier.VerifyAsync(Options());

    [Fact]
    public async Task An_untouched_ledger_verifies_with_its_audit_entries_in_the_same_chain()
    {
        await WriteLedgerAsync();

        var result = await VerifyAsync();

        Assert.True(result.IsIntact, string.Join("\n", result.Findings));
        Assert.Equal(13, result.Entries);            // 10 records, the reset, the breaker change, the operator action
        Assert.Equal(1, result.Segments);            // one writer, one day
        Assert.Equal(0, result.Unchained);
        Assert.Equal(13, await Records.ScalarAsync(fixture.Server, _schema, "SELECT length FROM chain_heads WHERE segment = 'w1/2030-05-06'"));
    }

    [Fact]
    public async Task A_changed_cost_is_found_and_named()
    {
        await WriteLedgerAsync();
        await Sql("UPDATE usage_records SET cost_usd = 0.0000001 WHERE id = 'r4'");

        var finding = Assert.Single((await VerifyAsync()).Findings);

        Assert.Equal(ChainFindingKind.Changed, finding.Kind);
        Assert.Equal("record r4", finding.Name);
        Assert.Equal(4, finding.Position);
        Assert.Equal("w1/2030-05-06", finding.Segment);
    }

    [Fact]
    public async Task A_changed_cost_whose_hash_was_recomputed_still_breaks_the_link_to_the_next_record()
    {
        await WriteLedgerAsync();
        // A careful forger rewrites r4's hash as the chain would compute it; r5 no longer follows it.
        await using var ledger = await PostgreSqlUsageLedger.OpenAsync(Options("reader"));
        var forged = (await ledger.ReadAllAsync(UsageQuery.All)).Single(r => r.Id == "r4") with { CostUsd = 0.0000001m };
        var previous = await BytesAsync("SELECT chain_prev FROM usage_records WHERE id = 'r4'");
        await Sql($"UPDATE usage_records SET cost_usd = 0.0000001, chain_hash = '\\x{LedgerChain.ToHex(LedgerChain.Hash(previous, forged))}' WHERE id = 'r4'");

        var finding = Assert.Single((await VerifyAsync()).Findings);

        Assert.Equal("record r5", finding.Name);
        Assert.Contains("does not follow the entry before it", finding.Message);
    }

    [Fact]
    public async Task A_deleted_row_is_found_between_its_neighbours_and_a_deleted_last_row_against_the_head()
    {
        await WriteLedgerAsync();
        await Sql("DELETE FROM usage_records WHERE id = 'r5'");

        var finding = Assert.Single((await VerifyAsync()).Findings);
        Assert.Equal(ChainFindingKind.Deleted, finding.Kind);
        Assert.Equal(5, finding.Position);
        Assert.Contains("between record r4 and record r6", finding.Message);

        // The last entry of the segment is the operator action; delete it too.
        await Sql("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)");
        var findings = (await VerifyAsync()).Findings;
        Assert.Equal(2, findings.Count);
        Assert.Contains(findings, f => f.Kind == ChainFindingKind.Deleted && f.Message.Contains("The last 1 entries") && f.Message.Contains("breaker.open"));
    }

    [Fact]
    public async Task An_inserted_row_is_found_whether_or_not_it_pretends_to_be_chained()
    {
        await WriteLedgerAsync();
        const string Copy = "budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, est_input_tokens, "
            + "est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags";
        await Sql($"INSERT INTO usage_records (id, ts_ticks, {Copy}) SELECT 'forged', ts_ticks, {Copy} FROM usage_records WHERE id = 'r3'");

        var plain = Assert.Single((await VerifyAsync()).Findings);
        Assert.Equal(ChainFindingKind.Inserted, plain.Kind);
        Assert.Equal("record forged", plain.Name);

        await Sql("DELETE FROM usage_records WHERE id = 'forged'");
        await Sql($"INSERT INTO usage_records (id, ts_ticks, {Copy}, chain_segment, chain_pos, chain_prev, chain_hash) "
            + $"SELECT 'forged2', ts_ticks, {Copy}, chain_segment, chain_pos, chain_prev, chain_hash FROM usage_records WHERE id = 'r3'");
        var findings = (await VerifyAsync()).Findings;
        Assert.Contains(findings, f => f.Name == "record forged2");
        Assert.All(findings, f => Assert.True(f.Name is null or "record forged2", f.Message));
    }

    [Fact]
    public async Task Reordered_rows_are_found_whether_their_order_in_the_table_or_in_the_chain_was_swapped()
    {
        await WriteLedgerAsync();
        // Swap the table order (seq) of r2 and r6: take both out and put them back in each other's place.
        await Sql("""
            CREATE TEMP TABLE s AS SELECT * FROM usage_records WHERE id IN ('r2', 'r6');
            UPDATE s SET seq = CASE WHEN id = 'r2' THEN (SELECT seq FROM usage_records WHERE id = 'r6') ELSE (SELECT seq FROM usage_records WHERE id = 'r2') END;
            DELETE FROM usage_records WHERE id IN ('r2', 'r6');
            INSERT INTO usage_records OVERRIDING SYSTEM VALUE SELECT * FROM s;
            """);

        var findings = (await VerifyAsync()).Findings;
        Assert.NotEmpty(findings);
        Assert.All(findings, f => Assert.Equal(ChainFindingKind.Reordered, f.Kind));
        Assert.Contains(findings, f => f.Message.Contains("record r2") || f.Message.Contains("record r6"));

        // Swap two records' places in the chain instead.
        await Sql("""
            DELETE FROM usage_records; DELETE FROM audit_log; DELETE FROM chain_heads; DELETE FROM counter_resets; DELETE FROM breaker_state; DELETE FROM usage_hourly;
            """);
        await WriteLedgerAsync();
        await Sql("""
            UPDATE usage_records SET chain_pos = -1 WHERE id = 'r7';
            UPDATE usage_records SET chain_pos = 7 WHERE id = 'r8';
            UPDATE usage_records SET chain_pos = 8 WHERE id = 'r7';
            """);
        findings = (await VerifyAsync()).Findings;
        Assert.Contains(findings, f => f.Kind == ChainFindingKind.Reordered && f.Name == "record r8" && f.Message.Contains("position 7"));
        Assert.All(findings, f => Assert.Equal(ChainFindingKind.Reordered, f.Kind));
    }

    [Fact]
    public async Task An_edited_audit_entry_is_found()
    {
        await WriteLedgerAsync();
        await Sql("UPDATE audit_log SET actor = 'bob' WHERE action = 'breaker.trip'");

        var finding = Assert.Single((await VerifyAsync()).Findings);

        Assert.Equal(ChainFindingKind.Changed, finding.Kind);
        Assert.Contains("(breaker.trip)", finding.Name);
    }

    [Fact]
    public async Task A_row_edited_so_that_it_no_longer_reads_as_a_record_is_named_as_changed()
    {
        await WriteLedgerAsync();
        await Sql("UPDATE usage_records SET tags = '{\"team\": 7}' WHERE id = 'r3'");

        var finding = Assert.Single((await VerifyAsync()).Findings);

        Assert.Equal(ChainFindingKind.Changed, finding.Kind);
        Assert.Equal(3, finding.Position);
        Assert.StartsWith("usage_records row ", finding.Name);
    }

    [Fact]
    public async Task Two_instances_appending_overlapping_records_at_once_each_chain_their_own_segments_and_each_record_once()
    {
        var records = Records.Generate(600, seed: 11);
        await using (var first = await PostgreSqlUsageLedger.OpenAsync(Options("one")))
        await using (var second = await PostgreSqlUsageLedger.OpenAsync(Options("two")))
        {
            await Task.WhenAll(
                Task.Run(async () => { foreach (var r in records.Take(400)) await first.AppendAsync(r); }),
                Task.Run(async () => { foreach (var r in records.Skip(200)) await second.AppendAsync(r); }),
                Task.Run(async () => { foreach (var r in records.Take(100)) await second.AppendAsync(r); }));
        }

        var result = await VerifyAsync();

        Assert.True(result.IsIntact, string.Join("\n", result.Findings));
        Assert.Equal(600, result.Entries);
        Assert.Equal(600, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM usage_records"));
        Assert.Equal(600, await Records.ScalarAsync(fixture.Server, _schema, "SELECT sum(length) FROM chain_heads"));
        Assert.Equal(0, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM chain_heads WHERE segment NOT LIKE 'one/%' AND segment NOT LIKE 'two/%'"));
        Assert.True(await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(DISTINCT split_part(segment, '/', 1)) FROM chain_heads") == 2);
    }

    [Fact]
    public async Task A_replayed_record_already_in_the_ledger_is_skipped_and_not_chained_again()
    {
        var records = Records.Generate(50, seed: 12);
        await using (var ledger = await PostgreSqlUsageLedger.OpenAsync(Options()))
        {
            foreach (var r in records.Take(30)) await ledger.AppendAsync(r);
        }
        // What a spill replay does: the same writer writes a batch of which 30 records are already there.
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fixture.Server.ConnectionString()) { SearchPath = _schema }.ConnectionString);
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            Assert.Equal(20, await PostgreSqlRecordWriter.WriteAsync(connection, "w1", records, CancellationToken.None));
            Assert.Equal(0, await PostgreSqlRecordWriter.WriteAsync(connection, "w1", records, CancellationToken.None));
        }

        var result = await VerifyAsync();

        Assert.True(result.IsIntact, string.Join("\n", result.Findings));
        Assert.Equal(50, result.Entries);
        Assert.Equal(50, await Records.ScalarAsync(fixture.Server, _schema, "SELECT sum(length) FROM chain_heads"));
        Assert.Equal(50, await Records.ScalarAsync(fixture.Server, _schema, "SELECT sum(requests) FROM usage_hourly"));
    }

    [Fact]
    public async Task Records_written_before_the_chain_existed_are_counted_as_unchained_not_as_tampering()
    {
        await using (var setup = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fixture.Server.ConnectionString()) { SearchPath = _schema }.ConnectionString))
        {
            await PostgreSqlSchema.MigrateAsync(setup, _schema, "test", 2, CancellationToken.None);
        }
        await Sql("""
            INSERT INTO usage_records (id, ts_ticks, budget, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, est_input_tokens,
                est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status)
            VALUES ('old1', 1, 'b', 1, 1, 0, 0, 1, 1, 0.1, 0.1, true, 0, 0), ('old2', 2, 'b', 1, 1, 0, 0, 1, 1, 0.1, 0.1, true, 0, 0)
            """);
        await WriteLedgerAsync();   // migrates to 4, then chains

        var result = await VerifyAsync();

        Assert.True(result.IsIntact, string.Join("\n", result.Findings));
        Assert.Equal(2, result.Unchained);
        Assert.Equal(13, result.Entries);
    }

    [Fact]
    public async Task What_is_hashed_is_what_is_stored_nuls_half_surrogate_pairs_unicode_tags_and_shadow_denials_included()
    {
        await using (var ledger = await PostgreSqlUsageLedger.OpenAsync(Options()))
        {
            await ledger.AppendAsync(Record(0) with { Reason = "bad\0reason", Model = "m\0", Tags = new Dictionary<string, string> { ["user\0"] = "a\0b", ["ünï"] = "✓ \"q\"" } });
            await ledger.AppendAsync(Record(1) with { WouldBeDeniedBy = "shadow-budget", WouldBeDeniedReason = "over", CostUsd = 1.50m, ReservedCostUsd = 0.0000000001m });
            await ledger.AppendAsync(Record(2) with { Tags = new Dictionary<string, string>(), Tenant = "", ConversationId = "c\u00e9" });
            // Half a surrogate pair (stored as U+FFFD) beside whole ones (kept).
            await ledger.AppendAsync(Record(3) with { Model = "m\ud800", Tags = new Dictionary<string, string> { ["emoji"] = "\ud83d\ude00", ["half\udc00"] = "x" } });
        }

        var result = await VerifyAsync();

        Assert.True(result.IsIntact, string.Join("\n", result.Findings));
        Assert.Equal(4, result.Entries);
    }

    [Fact]
    public async Task A_ledger_of_a_schema_before_the_chain_is_refused_saying_why()
    {
        await using (var setup = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fixture.Server.ConnectionString()) { SearchPath = _schema }.ConnectionString))
        {
            await PostgreSqlSchema.MigrateAsync(setup, _schema, "test", 2, CancellationToken.None);
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => VerifyAsync());

        Assert.Contains("schema version 2", error.Message);
        Assert.Contains("version 4", error.Message);
        Assert.DoesNotContain(PostgresServer.Password, error.Message);
    }

    [Fact]
    public async Task Segment_ranges_verified_in_parallel_on_one_snapshot_find_what_one_pass_finds()
    {
        // Three writers over two days: six segments, with audit entries in some of them.
        foreach (var writer in new[] { "a", "b", "c" })
        {
            await using var ledger = await PostgreSqlUsageLedger.OpenAsync(Options(writer));
            for (var i = 0; i < 30; i++) await ledger.AppendAsync(Records.Record(Day.AddHours(i), id: $"{writer}{i}"));
            await using var state = new PostgreSqlStateStore(Options(writer));
            await state.AppendAsync(new OperatorAction(Day.AddHours(20), "alice", "note", null, writer));
        }
        var one = await PostgreSqlLedgerVerifier.VerifyAsync(Options(), workers: 1, minEntriesPerWorker: 1, CancellationToken.None);
        var parallel = await PostgreSqlLedgerVerifier.VerifyAsync(Options(), workers: 4, minEntriesPerWorker: 1, CancellationToken.None);
        Assert.True(parallel.IsIntact, string.Join("\n", parallel.Findings));
        Assert.Equal((93, 6, one.Digest), (parallel.Entries, parallel.Segments, parallel.Digest));
        Assert.Equal(4, PostgreSqlLedgerVerifier.Partition(await HeadsAsync(), 4, 1).Count);

        await Sql("DELETE FROM usage_records WHERE id IN ('a3', 'c25'); UPDATE audit_log SET detail = 'x' WHERE detail = 'b'");
        one = await PostgreSqlLedgerVerifier.VerifyAsync(Options(), workers: 1, minEntriesPerWorker: 1, CancellationToken.None);
        parallel = await PostgreSqlLedgerVerifier.VerifyAsync(Options(), workers: 4, minEntriesPerWorker: 1, CancellationToken.None);
        Assert.Equal(3, parallel.Findings.Count);
        Assert.Equal(one.Findings.Select(f => f.Message).Order(), parallel.Findings.Select(f => f.Message).Order());
    }

    private async Task<List<ChainHead>> HeadsAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.Server.ConnectionString() + ";Pooling=false");
        await connection.OpenAsync();
        await using (var path = new NpgsqlCommand($"SET search_path TO \"{_schema}\"", connection)) await path.ExecuteNonQueryAsync();
        return await PostgreSqlLedgerVerifier.ReadHeadsAsync(connection, null, CancellationToken.None);
    }

    private async Task<byte[]> BytesAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(fixture.Server.ConnectionString() + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SET search_path TO \"{_schema}\"; {sql}", connection);
        return (byte[])(await command.ExecuteScalarAsync())!;
    }
}

internal static class OptionsExtensions
{
    public static T Also<T>(this T value, Action<T> change)
    {
        change(value);
        return value;
    }
}
