using GuardedAI.Integrity;
using GuardedAI.Sqlite;

namespace GuardedAI.Tests.Rollout;

/// <summary>"Would have been denied" survives in the durable ledgers, and a restart restores a shadow budget's counters
/// without the calls it would have denied.</summary>
public class ShadowRecordPersistenceTests
{
    private static BudgetPolicy Shadow() => BudgetPolicy.Create("bot").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 2).InShadowMode().Build();

    [Fact]
    public async Task The_sqlite_ledger_keeps_who_would_have_denied_a_call_and_why_and_a_restart_restores_only_what_was_allowed()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        var clock = new FakeTimeProvider(TestEngine.Start);
        for (var run = 1; run <= 2; run++)
        {
            var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path });
            await using var engine = await BudgetEngine.CreateAsync(new BudgetEngineOptions { TimeProvider = clock, Ledger = ledger, Policies = { Shadow() }, LogAlerts = false });
            var record = await (await engine.TryReserveAsync(Shadow(), engine.Estimate(null, 10, 10))).CommitAsync(new TokenUsage(10, 10));
            // First run: calls 1 allowed; restart; second run: the budget counted 1 of 2 (not the shadow-denied ones).
            if (run == 1)
            {
                Assert.Null(record.WouldBeDeniedBy);
                for (var i = 0; i < 3; i++) await (await engine.TryReserveAsync(Shadow(), engine.Estimate(null, 10, 10))).CommitAsync(new TokenUsage(10, 10));
                var usage = await engine.GetUsageAsync(Shadow());
                Assert.Equal(2m, usage.Single().Used);
            }
            else
            {
                Assert.Equal("bot", record.WouldBeDeniedBy);
                var stored = await ledger.QueryAsync(UsageQuery.All).ToListAsync();
                Assert.Equal(5, stored.Count);
                Assert.Equal(3, stored.Count(r => r.WouldBeDeniedBy == "bot"));
                Assert.All(stored.Where(r => r.WouldBeDeniedBy is not null), r => Assert.Contains("daily requests limit is 2", r.WouldBeDeniedReason));
            }
        }
    }

    [Fact]
    public async Task The_tamper_evident_chain_covers_it_an_erased_would_be_denial_is_found()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        await using (var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path }))
        {
            var (engine, _, _) = TestEngine.Create(o => o.Ledger = ledger);
            for (var i = 0; i < 3; i++) await (await engine.TryReserveAsync(Shadow(), engine.Estimate(null, 10, 10))).CommitAsync(new TokenUsage(10, 10));
            await ledger.FlushAsync();
        }
        Assert.True(SqliteLedgerVerifier.Verify(path).IsIntact);

        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE usage_records SET would_be_denied_by = NULL, would_be_denied_reason = NULL WHERE would_be_denied_by IS NOT NULL;";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        Assert.Equal(ChainFindingKind.Changed, Assert.Single(SqliteLedgerVerifier.Verify(path).Findings).Kind);
    }

    [Fact]
    public async Task The_jsonl_audit_log_keeps_it_too()
    {
        using var dir = new TempDirectory();
        var (engine, _, _) = TestEngine.Create(o => o.Ledger = new JsonlUsageLedger(dir.Path));
        await using (engine)
        {
            for (var i = 0; i < 3; i++) await (await engine.TryReserveAsync(Shadow(), engine.Estimate(null, 10, 10))).CommitAsync(new TokenUsage(10, 10));
        }
        var read = await new JsonlUsageLedger(dir.Path).QueryAsync(UsageQuery.All).ToListAsync();
        Assert.Equal([null, null, "bot"], read.Select(r => r.WouldBeDeniedBy));
        Assert.Contains("daily requests limit is 2", read[2].WouldBeDeniedReason);
    }
}
