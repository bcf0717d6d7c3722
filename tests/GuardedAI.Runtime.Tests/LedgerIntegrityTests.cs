using GuardedAI.Integrity;
using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Tests;

/// <summary>
/// The SQLite ledger's hash chain: an untouched ledger verifies, and each kind of tampering done with plain SQL — a
/// changed cost, a deleted row, an inserted row, reordered rows, an edited audit entry — is found and named.
/// </summary>
public class LedgerIntegrityTests
{
    private static readonly DateTimeOffset Day = new(2030, 5, 6, 9, 0, 0, TimeSpan.Zero);

    private static UsageRecord Record(int i) => new()
    {
        Id = "r" + i,
        Timestamp = Day.AddMinutes(i),
        Budget = "support",
        Tenant = i % 2 == 0 ? "acme" : null,
        Provider = "openai",
        Model = "gpt-4o-mini",
        InputTokens = 100 + i,
        OutputTokens = 20,
        ReservedInputTokens = 110,
        ReservedOutputTokens = 200,
        ReservedCostUsd = 0.002m,
        CostUsd = 0.00123m + i / 100_000m,
        UsageReported = true,
        Status = UsageStatus.Success,
        Tags = new Dictionary<string, string> { ["team"] = "billing", ["app"] = "web" },
    };

    /// <summary>Ten records, a counter reset, a breaker trip and an operator action, all in one file.</summary>
    private static async Task<string> WriteLedgerAsync(TempDirectory dir)
    {
        var path = dir.File("ledger.db");
        await using (var ledger = new SqliteUsageLedger(path))
        {
            for (var i = 0; i < 10; i++) await ledger.AppendAsync(Record(i));
        }
        await new SqliteOperationsStore(path).SaveAsync(new CounterReset("support", BudgetWindow.Day, Day.Date, Day.AddHours(1), "refund"));
        await new SqliteBreakerStateStore(path).SaveAsync(new BreakerSnapshot("support", CircuitBreakerState.Open, Day.AddHours(3), "maintenance", Day.AddHours(2)));
        await new SqliteOperationsStore(path).AppendAsync(new OperatorAction(Day.AddHours(2), "alice", "breaker.trip", "support", "maintenance"));
        return path;
    }

    private static void Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public async Task Text_a_provider_or_caller_sent_verifies_as_it_was_chained_half_surrogate_pairs_and_nuls_included()
    {
        // "\ud800" is valid JSON: a provider's response can carry half a surrogate pair in a model name.
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        var odd = Record(0) with { Model = "m\ud800-x", Reason = "bad\0reason", Tags = new Dictionary<string, string> { ["half\udc00"] = "a\ud83d\ude00b\ud83d" } };
        await using (var ledger = new SqliteUsageLedger(path))
        {
            await ledger.AppendAsync(odd);
            await ledger.AppendAsync(Record(1));
        }

        var result = SqliteLedgerVerifier.Verify(path);

        Assert.True(result.IsIntact, string.Join("\n", result.Findings));
        Assert.Equal(2, result.Entries);
        await using var reopened = new SqliteUsageLedger(path);
        var stored = (await reopened.ReadAllAsync(UsageQuery.All)).Single(r => r.Id == odd.Id);
        Assert.Equal("m\uFFFD-x", stored.Model);
        Assert.Equal("bad\0reason", stored.Reason); // SQLite holds a NUL as it is
        Assert.Equal("a\ud83d\ude00b\uFFFD", stored.Tags["half\uFFFD"]);
    }

    [Fact]
    public async Task An_untouched_ledger_verifies_with_its_audit_entries_in_the_same_chain()
    {
        using var dir = new TempDirectory();
        var path = await WriteLedgerAsync(dir);

        var result = SqliteLedgerVerifier.Verify(path);

        Assert.True(result.IsIntact, string.Join("\n", result.Findings));
        Assert.Equal(13, result.Entries);            // 10 records, the reset, the breaker change, the operator action
        Assert.Equal(1, result.Segments);            // one writer (this process), one day
        Assert.Equal(0, result.Unchained);
        Assert.Equal(64, result.Digest.Length);
    }

    [Fact]
    public async Task Ids_already_written_take_no_place_in_the_chain_when_a_batch_repeats_them()
    {
        using var dir = new TempDirectory();
        var path = dir.File("repeats.db");
        await using (var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path, Durability = LedgerDurability.Batched, BatchSize = 100 }))
        {
            for (var i = 0; i < 5; i++) await ledger.AppendAsync(Record(i));
            await ledger.FlushAsync();
            // One batch: two ids already in the file, then new ones, then a repeat of a new one.
            foreach (var i in new[] { 1, 3, 5, 6, 5, 7 }) await ledger.AppendAsync(Record(i));
        }

        var result = SqliteLedgerVerifier.Verify(path);

        Assert.True(result.IsIntact, string.Join("\n", result.Findings));
        Assert.Equal(8, result.Entries);
    }

    [Fact]
    public async Task A_changed_cost_is_found_and_named()
    {
        using var dir = new TempDirectory();
        var path = await WriteLedgerAsync(dir);
        Sql(path, "UPDATE usage_records SET cost_usd = '0.0000001' WHERE id = 'r4';");

        var finding = Assert.Single(SqliteLedgerVerifier.Verify(path).Findings);

        Assert.Equal(ChainFindingKind.Changed, finding.Kind);
        Assert.Equal("record r4", finding.Name);
        Assert.Equal(4, finding.Position);
        Assert.Contains("record r4", finding.Message);
    }

    [Fact]
    public async Task A_changed_cost_whose_hash_was_recomputed_still_breaks_the_link_to_the_next_record()
    {
        using var dir = new TempDirectory();
        var path = await WriteLedgerAsync(dir);
        // A careful forger rewrites r4's hash as the chain would compute it; r5 no longer follows it.
        byte[] previous;
        UsageRecord forged;
        await using (var ledger = new SqliteUsageLedger(path))
        {
            forged = (await ledger.ReadAllAsync(UsageQuery.All)).Single(r => r.Id == "r4") with { CostUsd = 0.0000001m };
        }
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var read = connection.CreateCommand();
            read.CommandText = "SELECT chain_prev FROM usage_records WHERE id = 'r4';";
            previous = (byte[])read.ExecuteScalar()!;
        }
        Sql(path, $"UPDATE usage_records SET cost_usd = '0.0000001', chain_hash = X'{LedgerChain.ToHex(LedgerChain.Hash(previous, forged))}' WHERE id = 'r4';");

        var finding = Assert.Single(SqliteLedgerVerifier.Verify(path).Findings);

        Assert.Equal("record r5", finding.Name);
        Assert.Contains("does not follow the entry before it", finding.Message);
    }

    [Fact]
    public async Task A_deleted_row_is_found_between_its_neighbours_and_a_deleted_last_row_against_the_head()
    {
        using var dir = new TempDirectory();
        var path = await WriteLedgerAsync(dir);
        Sql(path, "DELETE FROM usage_records WHERE id = 'r5';");

        var finding = Assert.Single(SqliteLedgerVerifier.Verify(path).Findings);
        Assert.Equal(ChainFindingKind.Deleted, finding.Kind);
        Assert.Equal(5, finding.Position);
        Assert.Contains("between record r4 and record r6", finding.Message);

        // The last entry of the segment is the operator action; delete it too.
        Sql(path, "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log);");
        var findings = SqliteLedgerVerifier.Verify(path).Findings;
        Assert.Equal(2, findings.Count);
        Assert.Contains(findings, f => f.Kind == ChainFindingKind.Deleted && f.Message.Contains("The last 1 entries") && f.Message.Contains("breaker.open"));
    }

    [Fact]
    public async Task An_inserted_row_is_found_whether_or_not_it_pretends_to_be_chained()
    {
        using var dir = new TempDirectory();
        var path = await WriteLedgerAsync(dir);
        const string Copy = "budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, est_input_tokens, "
            + "est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags";
        Sql(path, $"INSERT INTO usage_records (id, ts_ticks, {Copy}) SELECT 'forged', ts_ticks, {Copy} FROM usage_records WHERE id = 'r3';");

        var plain = Assert.Single(SqliteLedgerVerifier.Verify(path).Findings);
        Assert.Equal(ChainFindingKind.Inserted, plain.Kind);
        Assert.Equal("record forged", plain.Name);

        Sql(path, "DELETE FROM usage_records WHERE id = 'forged';");
        Sql(path, $"INSERT INTO usage_records (id, ts_ticks, {Copy}, chain_segment, chain_pos, chain_prev, chain_hash) "
            + $"SELECT 'forged2', ts_ticks, {Copy}, chain_segment, chain_pos, chain_prev, chain_hash FROM usage_records WHERE id = 'r3';");
        var findings = SqliteLedgerVerifier.Verify(path).Findings;
        Assert.Contains(findings, f => f.Name == "record forged2");
        Assert.All(findings, f => Assert.True(f.Name is null or "record forged2", f.Message));
    }

    [Fact]
    public async Task Reordered_rows_are_found_whether_their_order_in_the_table_or_in_the_chain_was_swapped()
    {
        using var dir = new TempDirectory();
        var path = await WriteLedgerAsync(dir);
        // Swap the table order (seq) of r2 and r6.
        Sql(path, """
            CREATE TEMP TABLE s AS SELECT (SELECT seq FROM usage_records WHERE id = 'r2') AS two, (SELECT seq FROM usage_records WHERE id = 'r6') AS six;
            UPDATE usage_records SET seq = -6 WHERE id = 'r6';
            UPDATE usage_records SET seq = (SELECT six FROM s) WHERE id = 'r2';
            UPDATE usage_records SET seq = (SELECT two FROM s) WHERE id = 'r6';
            """);

        var findings = SqliteLedgerVerifier.Verify(path).Findings;
        Assert.NotEmpty(findings);
        Assert.All(findings, f => Assert.Equal(ChainFindingKind.Reordered, f.Kind));
        Assert.Contains(findings, f => f.Message.Contains("record r2") || f.Message.Contains("record r6"));

        // Swap two records' places in the chain instead.
        using var fresh = new TempDirectory();
        path = await WriteLedgerAsync(fresh);
        Sql(path, """
            UPDATE usage_records SET chain_pos = -1 WHERE id = 'r7';
            UPDATE usage_records SET chain_pos = 7 WHERE id = 'r8';
            UPDATE usage_records SET chain_pos = 8 WHERE id = 'r7';
            """);
        findings = SqliteLedgerVerifier.Verify(path).Findings;
        Assert.Contains(findings, f => f.Kind == ChainFindingKind.Reordered && f.Name == "record r8" && f.Message.Contains("position 7"));
        Assert.All(findings, f => Assert.Equal(ChainFindingKind.Reordered, f.Kind));
    }

    [Fact]
    public async Task An_edited_audit_entry_is_found()
    {
        using var dir = new TempDirectory();
        var path = await WriteLedgerAsync(dir);
        Sql(path, "UPDATE audit_log SET actor = 'bob' WHERE action = 'breaker.trip';");

        var finding = Assert.Single(SqliteLedgerVerifier.Verify(path).Findings);

        Assert.Equal(ChainFindingKind.Changed, finding.Kind);
        Assert.Contains("(breaker.trip)", finding.Name);
    }
}
