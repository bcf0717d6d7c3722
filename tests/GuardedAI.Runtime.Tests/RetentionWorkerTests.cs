using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace GuardedAI.Tests;

/// <summary>
/// Automatic retention (<c>GuardedAI:Sqlite:Retention</c>): a background worker of a real host removes what the policy
/// lets go right after the start and then every interval on the engine's clock — a fake clock here, moved by the test —
/// logs what it removed, leaves the chain verifiable; a bad section fails the start naming the setting.
/// </summary>
public class RetentionWorkerTests
{
    private static readonly DateTimeOffset Now = new(2030, 7, 15, 12, 0, 0, TimeSpan.Zero);

    private static IHost Host(string path, FakeTimeProvider clock, LogEvents log, Dictionary<string, string?> retention)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var settings = new Dictionary<string, string?>
        {
            ["GuardedAI:Budgets:support:DailyRequests"] = "1000",
            ["GuardedAI:Budgets:support:MonthlyRequests"] = "100000",
            ["GuardedAI:Sqlite:Path"] = path,
        };
        foreach (var (key, value) in retention) settings["GuardedAI:Sqlite:Retention:" + key] = value;
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddProvider(log);
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddGuardedAI(builder.Configuration).AddSqliteLedger();
        return builder.Build();
    }

    /// <summary>Six records a day (every four hours) from 1 April to now.</summary>
    private static async Task FillAsync(string path)
    {
        await using var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path, Durability = LedgerDurability.Batched });
        var i = 0;
        for (var at = new DateTimeOffset(2030, 4, 1, 1, 0, 0, TimeSpan.Zero); at < Now; at += TimeSpan.FromHours(4))
        {
            await ledger.AppendAsync(new UsageRecord
            {
                Id = "r" + i++, Timestamp = at, Budget = "support", Provider = "openai", Model = "gpt-4o-mini",
                InputTokens = 100, OutputTokens = 10, CostUsd = 0.01m, Status = UsageStatus.Success,
            });
        }
    }

    private static long Count(string path, string where)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM usage_records WHERE " + where;
        return (long)command.ExecuteScalar()!;
    }

    private static long Ticks(int month, int day) => new DateTimeOffset(2030, month, day, 0, 0, 0, TimeSpan.Zero).UtcTicks;

    [Fact]
    public async Task The_worker_removes_expired_records_at_start_and_every_interval_on_the_engines_clock()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        await FillAsync(path);
        var before = Count(path, $"ts_ticks < {Ticks(6, 15)}");
        var kept = Count(path, $"ts_ticks >= {Ticks(6, 16)}");
        Assert.True(before > 400);

        var clock = new FakeTimeProvider(Now);
        var log = new LogEvents();
        using var host = Host(path, clock, log, new() { ["RawDays"] = "30", ["RollupMonths"] = "4", ["IntervalMinutes"] = "1440", ["BatchSize"] = "50" });
        var first = log.Next(1111);
        await host.StartAsync();

        // Right after the start: records of days before 15 June (30 days before 15 July) are gone, the rest is there.
        var message = await first.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains($"removed {before} usage records", message);
        Assert.Contains("raw records before 2030-06-15", message);
        Assert.Contains("run at 2030-07-15T12:00:00", message);
        Assert.Equal(0, Count(path, $"ts_ticks < {Ticks(6, 15)}"));
        Assert.Equal(6, Count(path, $"ts_ticks >= {Ticks(6, 15)} AND ts_ticks < {Ticks(6, 16)}"));

        // An interval later on the engine's clock, the next day's records have expired too; nothing else is touched.
        var second = log.Next(1111);
        clock.Advance(TimeSpan.FromDays(1));
        message = await second.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("removed 6 usage records", message);
        Assert.Contains("run at 2030-07-16T12:00:00", message);
        Assert.Equal(0, Count(path, $"ts_ticks < {Ticks(6, 16)}"));
        Assert.Equal(kept, Count(path, $"ts_ticks >= {Ticks(6, 16)}"));

        // The engine kept working beside it, and the chain verifies with the retention audit entries in it.
        var engine = host.Services.GetRequiredService<BudgetEngine>();
        await using (var lease = await engine.TryReserveAsync(engine.GetPolicy("support")!, engine.Estimate(null, 10, 10)))
        {
            Assert.True(lease.IsAcquired);
            await lease.CommitAsync(new TokenUsage(10, 10));
        }
        await host.StopAsync();
        await engine.DisposeAsync();
        var verification = SqliteLedgerVerifier.Verify(path);
        Assert.True(verification.IsIntact, string.Join("\n", verification.Findings));

        // A restart restores this month's counters exactly: July's 87 records and the call above, none of them removed.
        using var restarted = Host(path, new FakeTimeProvider(Now.AddDays(1)), new LogEvents(), []);
        await restarted.StartAsync();
        var again = restarted.Services.GetRequiredService<BudgetEngine>();
        var month = (await again.GetUsageAsync(again.GetPolicy("support")!)).Single(u => u.Limit.Window == BudgetWindow.Month);
        Assert.Equal(88m, month.Used);
        await restarted.StopAsync();
        await again.DisposeAsync();
    }

    [Theory]
    [InlineData("RollupMonths", "1", "GuardedAI:Sqlite:Retention:RollupMonths")]   // one month cannot cover the 90 default days of raw records
    [InlineData("IntervalMinutes", "0", "GuardedAI:Sqlite:Retention:IntervalMinutes")]
    [InlineData("RawDay", "30", "GuardedAI:Sqlite:Retention:RawDay")]                // a misspelt key
    [InlineData("KeepFrom", "June", "GuardedAI:Sqlite:Retention:KeepFrom")]
    public async Task A_bad_retention_section_fails_the_start_naming_the_setting(string key, string value, string path)
    {
        using var dir = new TempDirectory();
        using var host = Host(dir.File("ledger.db"), new FakeTimeProvider(Now), new LogEvents(), new() { [key] = value });

        var error = await Assert.ThrowsAsync<GuardedAIConfigurationException>(() => host.StartAsync());

        Assert.Contains(error.Errors, e => e.Path == path);
    }
}
