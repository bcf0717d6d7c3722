using System.Text.Json;
using GuardedAI.Integrity;
using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Tests.Rollout;

/// <summary>
/// A change of the budgets a host runs with is an audit entry <c>config.changed</c> in the ledger's chain: at a start
/// with other budgets than the trail last recorded, and after a configuration reload that changes one; a restart or
/// reload with the same budgets writes nothing. Real hosts on a real SQLite file, a fake clock.
/// </summary>
public class ConfigurationAuditTests
{
    private static readonly Dictionary<string, string?> First = new()
    {
        ["GuardedAI:Budgets:bot:DailyCostUsd"] = "10",
        ["GuardedAI:Budgets:batch:DailyRequests"] = "3",
    };

    private static IHost Host(string path, IDictionary<string, string?> budgets, FakeTimeProvider clock, LogEvents? log = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(budgets) { ["GuardedAI:Sqlite:Path"] = path });
        builder.Services.AddSingleton<TimeProvider>(clock);
        if (log is not null) builder.Logging.SetMinimumLevel(LogLevel.Debug).AddProvider(log);
        builder.Services.AddGuardedAI(builder.Configuration).AddSqliteLedger();
        return builder.Build();
    }

    private static async Task RunAsync(string path, IDictionary<string, string?> budgets, FakeTimeProvider clock)
    {
        using var host = Host(path, budgets, clock);
        await host.StartAsync();
        await host.StopAsync();
    }

    private static async Task<List<OperatorAction>> EntriesAsync(string path)
    {
        var list = new List<OperatorAction>();
        await foreach (var entry in new SqliteOperationsStore(path).ReadAsync(DateTimeOffset.MinValue, DateTimeOffset.MaxValue))
        {
            if (entry.Action == "config.changed") list.Add(entry);
        }
        return list;
    }

    private static JsonElement Detail(OperatorAction entry) => JsonDocument.Parse(entry.Detail!).RootElement;

    private static Dictionary<string, JsonElement> Changes(OperatorAction entry) =>
        Detail(entry).GetProperty("changes").EnumerateArray().ToDictionary(c => c.GetProperty("budget").GetString()!, c => c);

    private static string[] Difference(JsonElement change) => change.GetProperty("difference").EnumerateArray().Select(d => d.GetString()!).ToArray();

    [Fact]
    public async Task A_start_records_the_budgets_once_and_a_restart_records_only_what_changed()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger-s3cr3t.db"); // another section's value: it must not reach the trail
        var clock = new FakeTimeProvider(TestEngine.Start);

        await RunAsync(path, First, clock);
        var start = Assert.Single(await EntriesAsync(path));
        Assert.Equal("guardedai", start.Actor);
        Assert.Equal(TestEngine.Start, start.Timestamp);
        Assert.Equal("start", Detail(start).GetProperty("reason").GetString());
        var added = Changes(start);
        Assert.Equal(["batch", "bot"], added.Keys.Order(StringComparer.Ordinal));
        Assert.All(added.Values, c => Assert.Equal("added", c.GetProperty("change").GetString()));
        Assert.Matches("^[0-9a-f]{64}$", added["bot"].GetProperty("hash").GetString()!);
        Assert.Equal("10", added["bot"].GetProperty("definition").GetProperty("limits").GetProperty("Day.CostUsd").GetString());

        clock.Advance(TimeSpan.FromHours(1));
        await RunAsync(path, First, clock); // the same budgets: nothing new
        Assert.Single(await EntriesAsync(path));

        clock.Advance(TimeSpan.FromHours(1));
        var second = new Dictionary<string, string?>
        {
            ["GuardedAI:Budgets:bot:DailyCostUsd"] = "20",
            ["GuardedAI:Tenants:acme:DailyRequests"] = "2",
        };
        await RunAsync(path, second, clock);
        var entries = await EntriesAsync(path);
        Assert.Equal(2, entries.Count);
        var change = entries[1];
        var changes = Changes(change);
        Assert.Equal(["batch", "bot", "tenant:acme"], changes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("changed", changes["bot"].GetProperty("change").GetString());
        Assert.Equal(["daily cost limit 10 → 20 USD"], Difference(changes["bot"]));
        Assert.Equal(added["bot"].GetProperty("hash").GetString(), changes["bot"].GetProperty("previousHash").GetString());
        Assert.NotEqual(changes["bot"].GetProperty("previousHash").GetString(), changes["bot"].GetProperty("hash").GetString());
        Assert.Equal("removed", changes["batch"].GetProperty("change").GetString());
        Assert.Equal("added", changes["tenant:acme"].GetProperty("change").GetString());
        Assert.Contains("bot: daily cost limit 10 → 20 USD", Detail(change).GetProperty("summary").GetString());
        Assert.NotEqual(Detail(start).GetProperty("set").GetString(), Detail(change).GetProperty("set").GetString());
        Assert.Null(change.Scope); // three budgets changed: the entry names them in its detail
        Assert.DoesNotContain(entries, e => e.Detail!.Contains("s3cr3t", StringComparison.Ordinal) || e.Detail.Contains("Sqlite", StringComparison.OrdinalIgnoreCase));

        // Both entries are links of the verified chain; editing an entry's text is found and named.
        var verification = SqliteLedgerVerifier.Verify(path);
        Assert.True(verification.IsIntact, string.Join("\n", verification.Findings));
        Assert.Equal(2, verification.Entries);
        Sql(path, "UPDATE audit_log SET detail = replace(detail, '10 → 20', '10 → 15') WHERE action = 'config.changed';");
        var finding = Assert.Single(SqliteLedgerVerifier.Verify(path).Findings);
        Assert.Equal(ChainFindingKind.Changed, finding.Kind);
        Assert.Contains("config.changed", finding.Name);
    }

    [Fact]
    public async Task A_reload_that_changes_a_limit_applies_it_and_records_one_entry_and_an_unchanged_or_bad_reload_records_none()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        var clock = new FakeTimeProvider(TestEngine.Start);
        var log = new LogEvents();
        var started = log.Next(1804);
        using var host = Host(path, new Dictionary<string, string?> { ["GuardedAI:Budgets:bot:DailyRequests"] = "3", ["GuardedAI:Budgets:other:DailyRequests"] = "9" }, clock, log);
        await host.StartAsync();
        Assert.Contains("start", await started);
        var engine = host.Services.GetRequiredService<BudgetEngine>();
        var configuration = (IConfigurationRoot)host.Services.GetRequiredService<IConfiguration>();
        Assert.Single(await EntriesAsync(path));

        // Two calls of the old limit of 3 (below every threshold), with a policy held since start as a pipeline holds it.
        var policy = engine.GetPolicy("bot")!;
        async Task<bool> Call()
        {
            await using var lease = await engine.TryReserveAsync(policy, engine.Estimate(null, 10, 10));
            if (lease.IsAcquired) await lease.CommitAsync(new TokenUsage(10, 10));
            return lease.IsAcquired;
        }
        Assert.True(await Call());
        Assert.True(await Call());

        clock.Advance(TimeSpan.FromMinutes(5));
        var recorded = log.Next(1804);
        configuration["GuardedAI:Budgets:bot:DailyRequests"] = "7";
        configuration.Reload();
        Assert.Contains("bot: daily requests limit 3 → 7", await recorded.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(7m, engine.GetPolicy("bot")!.GetLimit(BudgetDimension.Requests, BudgetWindow.Day));
        // The running engine counts against the reloaded limit: five more calls (seven in all, four past the old limit), then no more.
        for (var i = 0; i < 5; i++) Assert.True(await Call(), $"call {i + 3}");
        Assert.False(await Call());

        var entries = await EntriesAsync(path);
        Assert.Equal(2, entries.Count);
        var reload = entries[1];
        Assert.Equal("bot", reload.Scope);
        Assert.Equal(TestEngine.Start.AddMinutes(5), reload.Timestamp);
        Assert.Equal("reload", Detail(reload).GetProperty("reason").GetString());
        Assert.Equal(["daily requests limit 3 → 7"], Difference(Assert.Single(Changes(reload)).Value));

        // A reload that changes nothing records nothing.
        var unchanged = log.Next(1806);
        configuration.Reload();
        Assert.Contains("reload", await unchanged.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, (await EntriesAsync(path)).Count);

        // A bad value is refused as at start: the running budget stays, nothing is recorded.
        configuration["GuardedAI:Budgets:bot:DailyRequests"] = "lots";
        var rejected = log.Next(1802);
        configuration.Reload();
        Assert.Contains("GuardedAI:Budgets:bot:DailyRequests", await rejected.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(7m, engine.GetPolicy("bot")!.GetLimit(BudgetDimension.Requests, BudgetWindow.Day));

        await host.StopAsync();
        await ((IAsyncDisposable)host.Services).DisposeAsync(); // waits for the trail's pending work
        Assert.Equal(2, (await EntriesAsync(path)).Count);
        var verification = SqliteLedgerVerifier.Verify(path);
        Assert.True(verification.IsIntact, string.Join("\n", verification.Findings));
    }

    [Fact]
    public void The_definition_hash_covers_what_decides_spend_and_not_the_order_it_was_written_in()
    {
        var a = BudgetPolicy.Create("bot").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 3).WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 10m).Build();
        var reordered = BudgetPolicy.Create("bot").WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 10.00m).WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 3).Build();
        var otherCost = BudgetPolicy.Create("bot").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 3).WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 10.01m).Build();
        var shadow = a.ToBuilder().InShadowMode().Build();
        var capped = a.ToBuilder().WithMaxOutputTokens(500).Build();

        string Hash(BudgetPolicy p) => BudgetDefinition.Hash(BudgetDefinition.Canonical(p));
        Assert.Equal(Hash(a), Hash(reordered));
        Assert.NotEqual(Hash(a), Hash(otherCost));
        Assert.Equal(["monthly cost limit 10 → 10.01 USD"], BudgetDefinition.Difference(BudgetDefinition.Canonical(a), BudgetDefinition.Canonical(otherCost)));
        Assert.Equal(["mode Enforce → Shadow"], BudgetDefinition.Difference(BudgetDefinition.Canonical(a), BudgetDefinition.Canonical(shadow)));
        Assert.Equal(["maxOutputTokens none → 500"], BudgetDefinition.Difference(BudgetDefinition.Canonical(a), BudgetDefinition.Canonical(capped)));
        Assert.Empty(BudgetDefinition.Difference(BudgetDefinition.Canonical(a), BudgetDefinition.Canonical(reordered)));
    }

    private static void Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
