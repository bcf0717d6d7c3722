using GuardedAI.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GuardedAI.Tests;

/// <summary>The engine in a real generic host: stores plug in through the builder, start-up work runs when the host starts.</summary>
public class HostingTests
{
    private static IHost Host(Dictionary<string, string?> settings, Action<IGuardedAIBuilder>? stores = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        var guardedAI = builder.Services.AddGuardedAI(builder.Configuration);
        stores?.Invoke(guardedAI);
        return builder.Build();
    }

    [Fact]
    public async Task A_host_with_the_sqlite_ledger_keeps_todays_spend_across_a_restart()
    {
        using var dir = new TempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["GuardedAI:Budgets:bot:DailyRequests"] = "3",
            ["GuardedAI:Sqlite:Path"] = dir.File("ledger.db"),
        };
        for (var run = 1; run <= 2; run++)
        {
            using var host = Host(settings, g => g.AddSqliteLedger());
            await host.StartAsync();
            var engine = host.Services.GetRequiredService<BudgetEngine>();
            Assert.IsType<SqliteUsageLedger>(engine.Ledger);
            var policy = engine.GetPolicy("bot")!;
            if (run == 1)
            {
                await (await engine.TryReserveAsync(policy, engine.Estimate(null, 10, 10))).CommitAsync(new TokenUsage(10, 10));
                await (await engine.TryReserveAsync(policy, engine.Estimate(null, 10, 10))).CommitAsync(new TokenUsage(10, 10));
            }
            else
            {
                // The restarted host restored the two calls of the first run before anything could be reserved.
                Assert.Equal(2m, Assert.Single(await engine.GetUsageAsync(policy)).Used);
            }
            await host.StopAsync();
            await engine.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_bad_section_fails_the_host_start_with_its_message()
    {
        using var host = Host(new() { ["GuardedAI:Budgets:broken:HourlyRequests"] = "100", ["GuardedAI:Budgets:broken:DailyRequests"] = "10" });

        var error = await Assert.ThrowsAsync<GuardedAIConfigurationException>(() => host.StartAsync());

        Assert.Equal("GuardedAI configuration is invalid: GuardedAI:Budgets:broken is not a valid budget: the hourly requests limit (100) is above the daily requests limit (10); a shorter window's limit must not exceed a longer window's.", error.Message);
    }

    [Fact]
    public async Task A_store_section_without_its_store_fails_the_start_naming_what_to_add()
    {
        using var host = Host(new() { ["GuardedAI:Sqlite:Path"] = "x.db" });

        var error = await Assert.ThrowsAsync<GuardedAIConfigurationException>(() => host.StartAsync());

        Assert.Equal("GuardedAI:Sqlite", Assert.Single(error.Errors).Path);
        Assert.StartsWith("is not a GuardedAI setting", error.Errors[0].Problem);
        Assert.Contains(".AddSqliteLedger()", error.Message);
    }

    [Fact]
    public async Task An_engine_with_a_durable_store_cannot_be_resolved_before_it_is_built()
    {
        using var dir = new TempDirectory();
        var services = new ServiceCollection();
        services.AddGuardedAI(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["GuardedAI:Sqlite:Path"] = dir.File("l.db") }).Build())
            .AddSqliteLedger();
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<BudgetEngine>());
        Assert.Contains("await serviceProvider.GetGuardedAIEngineAsync()", error.Message);

        var engine = await provider.GetGuardedAIEngineAsync();
        Assert.Same(engine, provider.GetRequiredService<BudgetEngine>());
    }
}
