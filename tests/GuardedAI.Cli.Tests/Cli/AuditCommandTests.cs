using System.Text.Json;
using GuardedAI.Cli.Tests.Support;
using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.Cli.Tests.Cli;

/// <summary>
/// <c>guardedai audit</c> as a process: the hosts' <c>config.changed</c> entries beside operators' actions, with what
/// changed in words; <c>guardedai verify</c> passes them and names an edited one.
/// </summary>
public sealed class AuditCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Starts an engine on the ledger with <paramref name="dailyCostUsd"/> for the budget <c>support</c> (as a host does), then closes it.</summary>
    private static async Task StartAsync(string db, string dailyCostUsd)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GuardedAI:Budgets:support:DailyCostUsd"] = dailyCostUsd,
            ["GuardedAI:Sqlite:Path"] = db,
        }).Build();
        var services = new ServiceCollection();
        services.AddGuardedAI(configuration).AddSqliteLedger();
        await using var provider = services.BuildServiceProvider();
        await provider.GetGuardedAIEngineAsync();
    }

    [Fact]
    public async Task Audit_lists_configuration_changes_with_operator_actions_and_verify_names_an_edited_one()
    {
        var db = _dir.File("ledger.db");
        await StartAsync(db, "10");
        await StartAsync(db, "10"); // unchanged: no entry
        await StartAsync(db, "20");
        var trip = await Tool.RunAsync("breaker", "trip", "--db", db, "--budget", "support", "--reason", "runaway agent", "--minutes", "30", "--actor", "ops-alice");
        Assert.True(trip.ExitCode == 0, trip.ToString());

        var table = await Tool.RunAsync("audit", "--db", db, "--period", "day");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.True(table.Output.Contains("4 audit entries", StringComparison.Ordinal), table.ToString());
        Assert.True(table.Output.Contains("support: daily cost limit 10 → 20 USD", StringComparison.Ordinal), table.ToString());
        Assert.Contains("breaker.trip", table.Output);
        Assert.Contains("breaker.open", table.Output); // the breaker store records the state change too

        var json = await Tool.RunAsync("audit", "--db", db, "--period", "day", "--action", "config", "--format", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using (var document = JsonDocument.Parse(json.Output))
        {
            var entries = document.RootElement.GetProperty("entries").EnumerateArray().ToList();
            Assert.Equal(2, entries.Count);
            Assert.All(entries, e => Assert.Equal("config.changed", e.GetProperty("action").GetString()));
            Assert.Equal("start: support: added", entries[0].GetProperty("summary").GetString());
            Assert.Equal("start: support: daily cost limit 10 → 20 USD", entries[1].GetProperty("summary").GetString());
        }

        var intact = await Tool.RunAsync("verify", "--db", db);
        Assert.True(intact.ExitCode == 0, intact.ToString());

        using (var connection = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE audit_log SET detail = replace(detail, '10 → 20', '10 → 11') WHERE action = 'config.changed' AND detail LIKE '%10 → 20%';";
            Assert.Equal(1, command.ExecuteNonQuery());
        }
        var tampered = await Tool.RunAsync("verify", "--db", db);
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("(config.changed)", tampered.Output);
    }
}
