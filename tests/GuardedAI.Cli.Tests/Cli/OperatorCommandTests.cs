using System.Text.Json;
using GuardedAI.Cli.Tests.Support;
using GuardedAI.Sqlite;

namespace GuardedAI.Cli.Tests.Cli;

/// <summary>Breakers, emergency stop, counter reset and health as processes, each on a ledger of its own.</summary>
public sealed class OperatorCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<string> LedgerAsync(decimal costToday = 0.5m)
    {
        var path = _dir.File(Guid.NewGuid().ToString("N") + ".db");
        var now = DateTimeOffset.UtcNow;
        // Minutes ago, but never before today's UTC midnight: the commands read today's day window, and a run in the first
        // minutes after midnight would otherwise put the records in yesterday's (it did, in CI at 00:02 UTC).
        var sinceMidnight = now - new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        TimeSpan Ago(int minutes) => TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(minutes).Ticks, sinceMidnight.Ticks * minutes / 10));
        await Ledgers.FillAsync(path, [Ledgers.Record(now - Ago(5), "support", "acme", cost: costToday), Ledgers.Record(now - Ago(3), "search", cost: 0.01m)]);
        return path;
    }

    [Fact]
    public async Task Breaker_trip_and_reset_change_the_stored_state_that_engines_load_write_audit_records_and_move_health()
    {
        var db = await LedgerAsync();
        Assert.Equal(0, (await Tool.RunAsync("health", "--db", db)).ExitCode);

        var trip = await Tool.RunAsync("breaker", "trip", "--db", db, "--budget", "support", "--reason", "runaway agent", "--minutes", "30", "--actor", "ops-alice");
        Assert.True(trip.ExitCode == 0, trip.ToString());
        var stored = (await new SqliteBreakerStateStore(db).LoadAsync()).Single(b => b.Scope == "support");
        Assert.Equal(CircuitBreakerState.Open, stored.State);
        Assert.InRange(stored.OpenUntil - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(28), TimeSpan.FromMinutes(30.5));
        Assert.Contains("runaway agent", stored.Reason);

        var degraded = await Tool.RunAsync("health", "--db", db, "--format", "json");
        Assert.Equal(1, degraded.ExitCode);
        using (var json = JsonDocument.Parse(degraded.Output))
        {
            Assert.Equal("degraded", json.RootElement.GetProperty("status").GetString());
            Assert.Contains("support", json.RootElement.GetProperty("problems")[0].GetString());
        }
        var status = await Tool.RunAsync("status", "--db", db, "--format", "json");
        using (var json = JsonDocument.Parse(status.Output))
        {
            var support = json.RootElement.GetProperty("scopes").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "support");
            Assert.Equal("Open", support.GetProperty("breaker").GetProperty("state").GetString());
        }

        var reset = await Tool.RunAsync("breaker", "reset", "--db", db, "--budget", "support");
        Assert.True(reset.ExitCode == 0, reset.ToString());
        Assert.Contains("was open", reset.Output);
        Assert.Equal(0, (await Tool.RunAsync("health", "--db", db)).ExitCode);

        var audit = new List<OperatorAction>();
        await foreach (var a in new SqliteOperationsStore(db).ReadAsync(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1))) audit.Add(a);
        // The breaker store records each state change in the same (chained) trail, as GuardedAI itself; the operator's actions beside them.
        Assert.Equal(["breaker.open", "breaker.closed"], audit.Where(a => a.Actor == "guardedai").Select(a => a.Action));
        audit.RemoveAll(a => a.Actor == "guardedai");
        Assert.Equal(["breaker.trip", "breaker.reset"], audit.Select(a => a.Action));
        Assert.Equal("ops-alice", audit[0].Actor);
        Assert.Equal("support", audit[0].Scope);
    }

    [Fact]
    public async Task A_tripped_breaker_stops_an_engine_started_on_the_ledger()
    {
        var db = await LedgerAsync();
        Assert.Equal(0, (await Tool.RunAsync("breaker", "trip", "--db", db, "--tenant", "acme", "--reason", "unpaid invoice")).ExitCode);
        var policy = BudgetPolicy.Create("support").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100).Build();
        await using var engine = await BudgetEngine.CreateAsync(new BudgetEngineOptions
        {
            LogAlerts = false, Ledger = new SqliteUsageLedger(db), BreakerStateStore = new SqliteBreakerStateStore(db), Policies = { policy },
            DefaultTenantPolicy = BudgetPolicy.Create("tenant:*").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100).Build(),
        });
        await using var lease = await engine.TryReserveAsync(policy, engine.Estimate("gpt-4o-mini", 10, 10), new ReservationContext { Tenant = "acme" });
        Assert.False(lease.IsAcquired);
        Assert.Contains("unpaid invoice", lease.Denial!.Reason);
        await using var other = await engine.TryReserveAsync(policy, engine.Estimate("gpt-4o-mini", 10, 10), new ReservationContext { Tenant = "globex" });
        Assert.True(other.IsAcquired);
    }

    [Fact]
    public async Task Emergency_stop_and_resume()
    {
        var db = await LedgerAsync();
        var stop = await Tool.RunAsync("emergency-stop", "--db", db, "--reason", "provider incident");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Equal(CircuitBreakerState.EmergencyStopped, (await new SqliteBreakerStateStore(db).LoadAsync()).Single(b => b.Scope == BreakerSnapshot.GlobalScope).State);
        var health = await Tool.RunAsync("health", "--db", db);
        Assert.Equal(1, health.ExitCode);
        Assert.Contains("emergency stop", health.Output);
        var status = await Tool.RunAsync("status", "--db", db);
        Assert.Contains("EMERGENCY STOP", status.Output);

        var resume = await Tool.RunAsync("resume", "--db", db);
        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Contains("Resumed", resume.Output);
        Assert.Equal(0, (await Tool.RunAsync("health", "--db", db)).ExitCode);
        Assert.Contains("No emergency stop", (await Tool.RunAsync("resume", "--db", db)).Output);
        Assert.Equal(3, Ledgers.Scalar(db, "SELECT count(*) FROM audit_log WHERE action LIKE 'emergency.%'"));
    }

    [Fact]
    public async Task Reset_asks_for_confirmation_records_the_reset_and_an_audit_record()
    {
        var db = await LedgerAsync();

        var declined = await Tool.RunAsync(["reset", "--db", db, "--budget", "support", "--window", "day"], stdin: "no\n");
        Assert.Equal(4, declined.ExitCode);
        Assert.Contains("not confirmed", declined.Error);
        Assert.Equal(0, Ledgers.Scalar(db, "SELECT count(*) FROM counter_resets"));

        var confirmed = await Tool.RunAsync(["reset", "--db", db, "--budget", "support", "--window", "day", "--reason", "test traffic"], stdin: "yes\n");
        Assert.True(confirmed.ExitCode == 0, confirmed.ToString());
        Assert.Contains("1 requests", confirmed.Output);
        var noQuestion = await Tool.RunAsync("reset", "--db", db, "--budget", "support", "--window", "month", "--yes");
        Assert.True(noQuestion.ExitCode == 0, noQuestion.ToString());

        var resets = await new SqliteOperationsStore(db).LoadAsync(DateTimeOffset.UtcNow.AddDays(-40));
        Assert.Equal([BudgetWindow.Day, BudgetWindow.Month], resets.Select(r => r.Window));
        Assert.All(resets, r => Assert.Equal("support", r.Scope));
        Assert.Equal(2, Ledgers.Scalar(db, "SELECT count(*) FROM audit_log WHERE action = 'counters.reset'"));
        Assert.Equal(2, Ledgers.Scalar(db, "SELECT count(*) FROM usage_records")); // the records stay

        var badWindow = await Tool.RunAsync("reset", "--db", db, "--budget", "support", "--window", "week", "--yes");
        Assert.Equal(64, badWindow.ExitCode);
        Assert.Contains("--window", badWindow.Error);
    }

    [Fact]
    public async Task Health_is_2_when_the_ledger_is_unreachable_and_1_when_a_limit_is_past_critical()
    {
        var missing = await Tool.RunAsync("health", "--db", _dir.File("missing.db"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("unreachable", missing.Output);
        Assert.False(File.Exists(_dir.File("missing.db")));

        var notSqlite = _dir.File("notes.txt");
        File.WriteAllText(notSqlite, "this is not a database, just some text that is long enough to have a header page....................................");
        Assert.Equal(2, (await Tool.RunAsync("health", "--db", notSqlite)).ExitCode);

        var db = await LedgerAsync(costToday: 4.6m);
        var settings = _dir.File("appsettings.json");
        File.WriteAllText(settings, """{ "GuardedAI": { "Budgets": { "support": { "DailyCostUsd": 5 } } } }""");
        var degraded = await Tool.RunAsync("health", "--db", db, "--config", settings);
        Assert.Equal(1, degraded.ExitCode);
        Assert.Contains("support", degraded.Output);
        Assert.Contains("92.0%", degraded.Output);
        File.WriteAllText(settings, """{ "GuardedAI": { "Budgets": { "support": { "DailyCostUsd": 50 } } } }""");
        Assert.Equal(0, (await Tool.RunAsync("health", "--db", db, "--config", settings)).ExitCode);
    }
}
