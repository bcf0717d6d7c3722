using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GuardedAI.PostgreSql.Tests;

/// <summary><c>.AddPostgreSqlLedger()</c> in the builder, its section, and what survives a restart.</summary>
[Collection("postgres")]
public sealed class RegistrationTests(PostgresFixture fixture) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _schema = PostgresFixture.NewSchema();

    public void Dispose() => _dir.Dispose();

    private (ServiceProvider Services, CapturingLoggerProvider Logs) Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        services.AddGuardedAI(configuration).AddPostgreSqlLedger();
        return (services.BuildServiceProvider(), logs);
    }

    private Dictionary<string, string?> Settings() => new()
    {
        ["GuardedAI:Budgets:bot:DailyRequests"] = "3",
        ["GuardedAI:Budgets:bot:DailyTokens"] = "1000",
        ["GuardedAI:PostgreSql:ConnectionString"] = fixture.Server.ConnectionString(),
        ["GuardedAI:PostgreSql:Schema"] = _schema,
        ["GuardedAI:PostgreSql:SpillPath"] = _dir.File("spill.jsonl"),
        ["GuardedAI:PostgreSql:Durability"] = "Synchronous",
        ["GuardedAI:PostgreSql:WriteTimeoutMs"] = "1500",
    };

    [Fact]
    public async Task Todays_spend_and_an_open_breaker_survive_a_restart_and_no_log_line_holds_the_password()
    {
        var logs = new List<string>();
        for (var run = 1; run <= 2; run++)
        {
            var (services, capture) = Build(Settings());
            await using (services)
            {
                var engine = await services.GetGuardedAIEngineAsync();
                Assert.IsType<PostgreSqlUsageLedger>(engine.Ledger);
                var policy = engine.GetPolicy("bot")!;
                if (run == 1)
                {
                    await (await engine.TryReserveAsync(policy, engine.Estimate(null, 10, 10))).CommitAsync(new TokenUsage(10, 10));
                    await (await engine.TryReserveAsync(policy, engine.Estimate(null, 30, 10))).CommitAsync(new TokenUsage(30, 5));
                    engine.Breakers.Get("bot").Trip("incident 42", TimeSpan.FromHours(1));
                    await engine.Breakers.FlushAsync();
                }
                else
                {
                    // The restarted instance restored the first run's calls before anything could be reserved…
                    var usage = await engine.GetUsageAsync(policy);
                    Assert.Equal(2m, usage.Single(u => u.Limit.Dimension == BudgetDimension.Requests).Used);
                    Assert.Equal(55m, usage.Single(u => u.Limit.Dimension == BudgetDimension.TotalTokens).Used);
                    // …and the breaker opened by hand is still open.
                    Assert.Equal(CircuitBreakerState.Open, engine.Breakers.Get("bot").State);
                }
                await engine.DisposeAsync();
            }
            logs.AddRange(capture.Lines);
        }
        Assert.Equal(2, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM usage_records"));
        Assert.NotEmpty(logs);
        Assert.DoesNotContain(logs, l => l.Contains(PostgresServer.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_value_in_the_section_fails_the_start_with_its_path()
    {
        var settings = Settings();
        settings["GuardedAI:PostgreSql:WriteTimeoutMs"] = "soon";
        settings["GuardedAI:PostgreSql:Colour"] = "blue";
        var (services, _) = Build(settings);
        await using (services)
        {
            var error = await Assert.ThrowsAsync<GuardedAIConfigurationException>(() => services.GetGuardedAIEngineAsync());
            Assert.Contains(error.Errors, e => e.Path == "GuardedAI:PostgreSql:WriteTimeoutMs");
            Assert.Contains(error.Errors, e => e.Path == "GuardedAI:PostgreSql:Colour");
            Assert.DoesNotContain(PostgresServer.Password, error.Message);
        }
    }
}
