using GuardedAI.Sqlite;
namespace GuardedAI.Tests;

public class RestoreTests
{
    private static BudgetPolicy Policy() => BudgetPolicy.Create("daily")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 100_000)
        .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 50m)
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Minute, 50)
        .Build();

    private static BudgetEngineOptions Options(FakeTimeProvider clock, string path) => new()
    {
        TimeProvider = clock,
        LogAlerts = false,
        Ledger = new SqliteUsageLedger(path),
        BreakerStateStore = new SqliteBreakerStateStore(path),
        Policies = { Policy() },
    };

    [Fact]
    public async Task A_restart_mid_day_keeps_todays_spend_and_drops_ended_windows()
    {
        using var dir = new TempDirectory();
        var path = dir.File("restore.db");
        var clock = new FakeTimeProvider(TestEngine.Start.AddDays(-1));
        var policy = Policy();
        await using (var engine = await BudgetEngine.CreateAsync(Options(clock, path)))
        {
            // Yesterday: counts for the month only.
            var r0 = await engine.ReserveAsync(policy, TestEngine.Estimate(100, 100));
            await engine.CommitAsync(r0, new TokenUsage(1000, 500));
            clock.SetUtcNow(TestEngine.Start);
            for (var i = 0; i < 3; i++)
            {
                var r = await engine.ReserveAsync(policy, TestEngine.Estimate(100, 100), new ReservationContext { Tenant = "acme" });
                await engine.CommitAsync(r, new TokenUsage(40 + i, 10));
            }
            var failed = await engine.ReserveAsync(policy, TestEngine.Estimate(100, 100));
            await engine.ReleaseAsync(failed, UsageStatus.Failed, "boom", new TokenUsage(5, 0));
            // A reservation still in flight at shutdown is not usage.
            _ = await engine.ReserveAsync(policy, TestEngine.Estimate(100, 100));
            Assert.Throws<BudgetExceededException>(() => engine.ReserveAsync(policy, TestEngine.Estimate(200_000, 1)).AsTask().GetAwaiter().GetResult());
        }

        clock.Advance(TimeSpan.FromMinutes(5));
        await using var restarted = await BudgetEngine.CreateAsync(Options(clock, path));
        var result = await restarted.RestoreAsync();
        Assert.Equal(CounterRestoreStrategy.SumLedger, result.Strategy);
        Assert.Equal(5, result.Records);

        var ledger = await restarted.Ledger.ReadAllAsync(UsageQuery.All);
        var today = ledger.Where(r => r.Status != UsageStatus.Denied && r.Timestamp >= TestEngine.Start.Date).ToList();
        var month = ledger.Where(r => r.Status != UsageStatus.Denied).ToList();
        var usage = await restarted.GetUsageAsync(policy);
        Assert.Equal(today.Count, Used(usage, BudgetDimension.Requests, BudgetWindow.Day));
        Assert.Equal(4, today.Count);
        Assert.Equal(today.Sum(r => r.TotalTokens), Used(usage, BudgetDimension.TotalTokens, BudgetWindow.Day));
        Assert.Equal(month.Sum(r => BudgetUnits.ToUnits(BudgetDimension.CostUsd, r.CostUsd)),
            BudgetUnits.ToUnits(BudgetDimension.CostUsd, Used(usage, BudgetDimension.CostUsd, BudgetWindow.Month)));
        Assert.True(Used(usage, BudgetDimension.CostUsd, BudgetWindow.Month) > 0);
        Assert.Equal(0m, Used(usage, BudgetDimension.Requests, BudgetWindow.Minute)); // that minute is over
        Assert.Same(result, await restarted.RestoreAsync()); // once only: no double counting
    }

    [Fact]
    public async Task An_open_breaker_stays_open_across_a_restart_and_a_reset_is_kept_too()
    {
        using var dir = new TempDirectory();
        var path = dir.File("breaker.db");
        var clock = new FakeTimeProvider(TestEngine.Start);
        await using (var engine = await BudgetEngine.CreateAsync(Options(clock, path)))
        {
            engine.Breakers.Get("daily").Trip("operator says so", TimeSpan.FromHours(1));
            engine.Breakers.Get("other").EmergencyStop("incident 42");
            await engine.Breakers.FlushAsync();
        }

        clock.Advance(TimeSpan.FromMinutes(10));
        await using (var restarted = await BudgetEngine.CreateAsync(Options(clock, path)))
        {
            var breaker = restarted.Breakers.Get("daily");
            Assert.Equal(CircuitBreakerState.Open, breaker.State);
            Assert.Equal("operator says so", breaker.Reason);
            Assert.Equal(TestEngine.Start.AddHours(1), breaker.OpenUntil);
            var denial = await Assert.ThrowsAsync<BudgetExceededException>(() => restarted.ReserveAsync(Policy(), TestEngine.Estimate(1, 1)).AsTask());
            Assert.Equal(DenialKind.BreakerOpen, denial.Kind);
            Assert.Equal(CircuitBreakerState.EmergencyStopped, restarted.Breakers.Get("other").State);
            restarted.Breakers.Get("daily").Reset();
            await restarted.Breakers.FlushAsync();
        }

        await using var third = await BudgetEngine.CreateAsync(Options(clock, path));
        Assert.Equal(CircuitBreakerState.Closed, third.Breakers.Get("daily").State);
        Assert.Equal(CircuitBreakerState.EmergencyStopped, third.Breakers.Get("other").State);
    }

    [Fact]
    public async Task A_global_emergency_stop_survives_a_restart()
    {
        using var dir = new TempDirectory();
        var path = dir.File("global.db");
        var clock = new FakeTimeProvider(TestEngine.Start);
        await using (var engine = await BudgetEngine.CreateAsync(Options(clock, path)))
        {
            engine.Breakers.EmergencyStopAll("kill switch");
            await engine.Breakers.FlushAsync();
        }
        clock.Advance(TimeSpan.FromSeconds(1));
        await using var restarted = await BudgetEngine.CreateAsync(Options(clock, path));
        Assert.Equal("kill switch", restarted.Breakers.GlobalStopReason);
        var denial = await Assert.ThrowsAsync<BudgetExceededException>(() => restarted.ReserveAsync(Policy(), TestEngine.Estimate(1, 1)).AsTask());
        Assert.Equal(DenialKind.EmergencyStop, denial.Kind);
    }

    [Fact]
    public async Task When_the_ledger_fails_the_usage_is_still_counted_and_the_caller_is_told()
    {
        var (engine, _, _) = TestEngine.Create(o => o.Ledger = new FailingLedger());
        await using var _e = engine;
        var policy = Policy();
        var reservation = await engine.ReserveAsync(policy, TestEngine.Estimate(10, 10));
        await Assert.ThrowsAsync<IOException>(() => engine.CommitAsync(reservation, new TokenUsage(7, 3)).AsTask());
        var usage = await engine.GetUsageAsync(policy);
        Assert.Equal(10m, Used(usage, BudgetDimension.TotalTokens, BudgetWindow.Day));
        Assert.Equal(0, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
    }

    internal static decimal Used(IReadOnlyList<LimitUsage> usage, BudgetDimension dimension, BudgetWindow window) =>
        usage.Single(u => u.Limit.Dimension == dimension && u.Limit.Window == window).Used;

    private sealed class FailingLedger : IUsageLedger
    {
        public ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default) =>
            record.Status == UsageStatus.Denied ? ValueTask.CompletedTask : ValueTask.FromException(new IOException("disk full"));

        public async IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.CompletedTask;
            yield break;
        }
    }
}
