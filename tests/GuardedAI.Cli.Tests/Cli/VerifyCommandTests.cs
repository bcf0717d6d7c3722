using System.Text.Json;
using GuardedAI.Cli.Tests.Support;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Cli.Tests.Cli;

/// <summary><c>guardedai verify</c> as a process: intact after operator actions, then a changed cost named, exit 1.</summary>
public sealed class VerifyCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Verify_passes_an_untouched_ledger_with_operator_actions_and_names_a_changed_cost()
    {
        var db = _dir.File("ledger.db");
        var now = DateTimeOffset.UtcNow;
        await Ledgers.FillAsync(db, [Ledgers.Record(now.AddMinutes(-5), "support", "acme", cost: 0.5m), Ledgers.Record(now.AddMinutes(-3), "search", cost: 0.01m)]);
        var trip = await Tool.RunAsync("breaker", "trip", "--db", db, "--budget", "support", "--reason", "runaway agent", "--minutes", "30", "--actor", "ops-alice");
        Assert.True(trip.ExitCode == 0, trip.ToString());

        var intact = await Tool.RunAsync("verify", "--db", db, "--format", "json");
        Assert.True(intact.ExitCode == 0, intact.ToString());
        using (var json = JsonDocument.Parse(intact.Output))
        {
            Assert.Equal("intact", json.RootElement.GetProperty("status").GetString());
            // Two records, the breaker change and the operator's action: all in the chain.
            Assert.Equal(4, json.RootElement.GetProperty("entries").GetInt64());
        }

        using (var connection = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE usage_records SET cost_usd = '0.0001' WHERE budget = 'support';";
            Assert.Equal(1, command.ExecuteNonQuery());
        }
        var tampered = await Tool.RunAsync("verify", "--db", db);
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("tampered", tampered.Output);
        Assert.Contains("changed: record ", tampered.Output);
    }
}
