using System.Text.Json;
using GuardedAI.Cli.Tests.Support;

namespace GuardedAI.Cli.Tests.Cli;

/// <summary><c>guardedai whatif</c>: a proposal replayed over a real SQLite ledger, in every format, leaving the ledger as it was.</summary>
public sealed class WhatIfCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Three days of calls, one every hour from midnight UTC, half of them for tenant acme.</summary>
    private async Task<(string Db, List<UsageRecord> Records)> LedgerAsync()
    {
        var start = new DateTimeOffset(2026, 5, 4, 0, 0, 0, TimeSpan.Zero);
        var records = Enumerable.Range(0, 72)
            .Select(i => Ledgers.Record(start.AddHours(i), tenant: i % 2 == 0 ? "acme" : null, cost: 0.01m, id: $"call-{i:00}"))
            .Append(Ledgers.Record(start.AddHours(5), status: UsageStatus.Denied, id: "denied-then"))
            .Append(Ledgers.Record(start.AddHours(6), budget: "other", id: "other-budget"))
            .ToList();
        var db = _dir.File("ledger.db");
        await Ledgers.FillAsync(db, records);
        return (db, records);
    }

    private string Policy(string json)
    {
        var path = _dir.File("proposal.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public async Task Reports_who_would_have_been_denied_by_which_limit_and_when_in_table_json_and_csv()
    {
        var (db, _) = await LedgerAsync();
        // 20 requests a day for the budget; acme gets 8 a day. Trip at 100% so the count alone decides.
        var policy = Policy("""
            { "GuardedAI": {
                "Budgets": { "support": { "DailyRequests": 20, "TripAtPercent": 100 } },
                "Tenants": { "acme": { "DailyRequests": 8, "TripAtPercent": 100 } } } }
            """);
        var rowsBefore = Ledgers.Scalar(db, "SELECT count(*) FROM usage_records");
        var costBefore = Ledgers.SumCost(db);

        var json = await Tool.RunAsync("whatif", "--db", db, "--policy", policy, "--from", "2026-05-04", "--to", "2026-05-06", "--format", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Output);
        var root = doc.RootElement;
        Assert.Equal(72, root.GetProperty("replayed").GetInt64());
        Assert.Equal(1, root.GetProperty("skipped").GetInt64());
        Assert.Equal("other", root.GetProperty("unknownBudgets")[0].GetString());
        var denials = root.GetProperty("denials").EnumerateArray().ToList();
        // Each day: calls at even hours are acme's; acme's 9th (at 16:00) and later are denied by the tenant (4 a day: 16, 18,
        // 20, 22), and the budget counts only allowed calls, so it reaches 20 at 23:00 — nothing more to deny that day.
        Assert.Equal(12, denials.Count);
        Assert.All(denials, d => Assert.Equal("tenant:acme", d.GetProperty("scope").GetString()));
        Assert.Equal("call-16", denials[0].GetProperty("recordId").GetString());
        Assert.Equal("2026-05-04T16:00:00Z", denials[0].GetProperty("at").GetString());
        Assert.Contains("daily requests limit is 8", denials[0].GetProperty("reason").GetString());
        var limit = root.GetProperty("limits").EnumerateArray().Single();
        Assert.Equal("2026-05-04T16:00:00Z", limit.GetProperty("firstHitAt").GetString());
        Assert.Equal(12 * 0.01m, root.GetProperty("spendAvoidedUsd").GetDecimal());

        var csv = await Tool.RunAsync("whatif", "--db", db, "--policy", policy, "--from", "2026-05-04", "--to", "2026-05-06", "--format", "csv");
        var (header, rows) = Rfc4180.Table(csv.Output);
        Assert.Contains("reason", header);
        Assert.Equal(denials.Select(d => d.GetProperty("recordId").GetString()), rows.Select(r => r["record_id"]));

        var table = await Tool.RunAsync("whatif", "--db", db, "--policy", policy, "--from", "2026-05-04", "--to", "2026-05-06");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("Would have denied 12 calls", table.Output);
        Assert.Contains("daily requests", table.Output);

        // The ledger is read, never written.
        Assert.Equal(rowsBefore, Ledgers.Scalar(db, "SELECT count(*) FROM usage_records"));
        Assert.Equal(costBefore, Ledgers.SumCost(db));
    }

    [Fact]
    public async Task A_bad_proposal_is_a_usage_error_naming_the_key()
    {
        var (db, _) = await LedgerAsync();
        var policy = Policy("""{ "GuardedAI": { "Budgets": { "support": { "DailyRequest": 20 } } } }""");
        var run = await Tool.RunAsync("whatif", "--db", db, "--policy", policy, "--from", "2026-05-04", "--to", "2026-05-06");
        Assert.Equal(64, run.ExitCode);
        Assert.Contains("GuardedAI:Budgets:support:DailyRequest", run.Error);

        var missing = await Tool.RunAsync("whatif", "--db", db, "--from", "2026-05-04");
        Assert.Equal(64, missing.ExitCode);
        Assert.Contains("--policy", missing.Error);
    }
}
