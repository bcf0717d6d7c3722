using GuardedAI.Sqlite;

namespace GuardedAI.Tests;

/// <summary>
/// A breaker a threshold opened, saved, and restored by a restarted engine denies as the engine that opened it did:
/// naming the limit that tripped it, its usage and its limit — not only "the breaker is open".
/// </summary>
public class BreakerRestoreTests
{
    private static BudgetPolicy Policy() => BudgetPolicy.Create("support")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 4)
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Month, 1000)
        .Build();

    private static BudgetEngineOptions Options(FakeTimeProvider clock, string path) => new()
    {
        TimeProvider = clock,
        LogAlerts = false,
        Ledger = new SqliteUsageLedger(path),
        BreakerStateStore = new SqliteBreakerStateStore(path),
        CounterResets = new SqliteOperationsStore(path),
        Policies = { Policy() },
    };

    private static async Task<BudgetDenial> DeniedAsync(BudgetEngine engine, BudgetPolicy policy)
    {
        await using var lease = await engine.TryReserveAsync(policy, TestEngine.Estimate(10, 10));
        Assert.False(lease.IsAcquired);
        return lease.Denial!;
    }

    [Fact]
    public async Task A_restored_threshold_breaker_denies_with_the_limit_and_the_usage_a_fresh_open_gives()
    {
        using var dir = new TempDirectory();
        var path = dir.File("breaker.db");
        var clock = new FakeTimeProvider(TestEngine.Start);
        var policy = Policy();
        BudgetDenial fresh;
        await using (var engine = await BudgetEngine.CreateAsync(Options(clock, path)))
        {
            for (var i = 0; i < 4; i++)
            {
                await using var lease = await engine.TryReserveAsync(policy, TestEngine.Estimate(10, 10));
                Assert.True(lease.IsAcquired);
                await lease.CommitAsync(new TokenUsage(10, 10));
            }
            Assert.Equal(CircuitBreakerState.Open, engine.Breakers.Get("support").State);
            fresh = await DeniedAsync(engine, policy);
            await engine.Breakers.FlushAsync();
        }
        Assert.Equal(DenialKind.BreakerOpen, fresh.Kind);
        Assert.Equal((BudgetDimension.Requests, BudgetWindow.Day, 4m, 4m), (fresh.Dimension!.Value, fresh.Window!.Value, fresh.Used, fresh.Limit));

        clock.Advance(TimeSpan.FromMinutes(10));
        await using var restarted = await BudgetEngine.CreateAsync(Options(clock, path));
        Assert.Equal(CircuitBreakerState.Open, restarted.Breakers.Get("support").State);
        var restored = await DeniedAsync(restarted, policy);

        Assert.Equal(DenialKind.BreakerOpen, restored.Kind);
        Assert.Equal(fresh.Dimension, restored.Dimension);
        Assert.Equal(fresh.Window, restored.Window);
        Assert.Equal(fresh.Used, restored.Used);
        Assert.Equal(fresh.Limit, restored.Limit);
        Assert.Equal(fresh.Requested, restored.Requested);
        Assert.Contains("daily requests limit is 4, 4 is used", restored.Reason);
        Assert.Equal(fresh.RetryAfter - TimeSpan.FromMinutes(10), restored.RetryAfter);
    }

    [Fact]
    public async Task A_restored_threshold_breaker_whose_counters_were_reset_since_names_no_numbers_that_contradict_it()
    {
        using var dir = new TempDirectory();
        var path = dir.File("breaker.db");
        var clock = new FakeTimeProvider(TestEngine.Start);
        var policy = Policy();
        await using (var engine = await BudgetEngine.CreateAsync(Options(clock, path)))
        {
            for (var i = 0; i < 4; i++)
            {
                await using var lease = await engine.TryReserveAsync(policy, TestEngine.Estimate(10, 10));
                await lease.CommitAsync(new TokenUsage(10, 10));
            }
            await engine.Breakers.FlushAsync();
        }
        // An operator resets today's counters (guardedai reset) and leaves the breaker open.
        clock.Advance(TimeSpan.FromMinutes(1));
        await new SqliteOperationsStore(path).SaveAsync(new CounterReset("support", BudgetWindow.Day, TestEngine.Start.Date, clock.GetUtcNow(), "ops"));

        await using var restarted = await BudgetEngine.CreateAsync(Options(clock, path));
        var denial = await DeniedAsync(restarted, policy);
        Assert.Equal(DenialKind.BreakerOpen, denial.Kind);
        Assert.Null(denial.Dimension);
        Assert.Contains("daily requests reached 100% of the limit", denial.Reason);
    }

    [Fact]
    public async Task A_restored_breaker_an_operator_tripped_names_no_limit()
    {
        using var dir = new TempDirectory();
        var path = dir.File("breaker.db");
        var clock = new FakeTimeProvider(TestEngine.Start);
        var policy = Policy();
        await using (var engine = await BudgetEngine.CreateAsync(Options(clock, path)))
        {
            // Usage past the trip threshold of no limit; the operator opens the breaker by hand.
            await using (var lease = await engine.TryReserveAsync(policy, TestEngine.Estimate(10, 10))) await lease.CommitAsync(new TokenUsage(10, 10));
            engine.Breakers.Get("support").Trip("runaway agent", TimeSpan.FromHours(1));
            await engine.Breakers.FlushAsync();
        }

        await using var restarted = await BudgetEngine.CreateAsync(Options(clock, path));
        var denial = await DeniedAsync(restarted, policy);
        Assert.Equal(DenialKind.BreakerOpen, denial.Kind);
        Assert.Null(denial.Dimension);
        Assert.Contains("runaway agent", denial.Reason);
    }
}
