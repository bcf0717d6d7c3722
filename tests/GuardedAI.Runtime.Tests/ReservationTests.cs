namespace GuardedAI.Tests;

public class ReservationTests
{
    private static BudgetPolicy Policy() => BudgetPolicy.Create("lease")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 3)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 1_000).Build();

    [Fact]
    public async Task An_orphaned_reservation_returns_to_the_budget_when_its_lease_expires()
    {
        var (engine, clock, _) = TestEngine.Create(o => { o.ReservationLease = TimeSpan.FromMinutes(2); o.LeaseSweepInterval = Timeout.InfiniteTimeSpan; });
        var policy = Policy();
        _ = await engine.ReserveAsync(policy, TestEngine.Estimate(300, 300)); // never settled: a "crash"

        await Assert.ThrowsAsync<BudgetExceededException>(() => engine.ReserveAsync(policy, TestEngine.Estimate(300, 300)).AsTask());
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await engine.ReclaimExpiredReservationsAsync());

        var usage = await engine.GetUsageAsync(policy);
        Assert.All(usage, u => Assert.Equal(0m, u.Used));
        await engine.ReserveAsync(policy, TestEngine.Estimate(300, 300));
    }

    [Fact]
    public async Task A_late_commit_after_the_lease_expired_is_counted_once()
    {
        var (engine, clock, _) = TestEngine.Create(o => { o.ReservationLease = TimeSpan.FromMinutes(2); o.LeaseSweepInterval = Timeout.InfiniteTimeSpan; });
        var policy = Policy();
        var reservation = await engine.ReserveAsync(policy, TestEngine.Estimate(300, 300));
        clock.Advance(TimeSpan.FromMinutes(3));
        await engine.ReclaimExpiredReservationsAsync();

        await reservation.CommitAsync(new TokenUsage(250, 100));
        // A second settlement is refused and counts nothing.
        await Assert.ThrowsAsync<InvalidOperationException>(() => reservation.CommitAsync(new TokenUsage(250, 100)).AsTask());

        var usage = await engine.GetUsageAsync(policy);
        Assert.Equal(1m, usage.Single(u => u.Limit.Dimension == BudgetDimension.Requests).Used);
        Assert.Equal(350m, usage.Single(u => u.Limit.Dimension == BudgetDimension.TotalTokens).Used);
    }

    [Fact]
    public async Task The_lease_sweep_runs_on_the_engine_clock()
    {
        var (engine, clock, _) = TestEngine.Create(o => { o.ReservationLease = TimeSpan.FromMinutes(1); o.LeaseSweepInterval = TimeSpan.FromSeconds(30); });
        var policy = Policy();
        _ = await engine.ReserveAsync(policy, TestEngine.Estimate(400, 400));

        var store = (InMemoryBudgetCounterStore)engine.Store;
        Assert.Equal(1, store.OutstandingReservations);
        clock.Advance(TimeSpan.FromSeconds(90)); // the timer fires; the sweep runs on the thread pool
        await WaitUntil(() => store.OutstandingReservations == 0);

        Assert.All(await engine.GetUsageAsync(policy), u => Assert.Equal(0m, u.Used));
    }

    [Fact]
    public async Task Disposing_an_unsettled_reservation_settles_it_as_abandoned()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = Policy();
        await using (await engine.ReserveAsync(policy, TestEngine.Estimate(300, 300))) { }

        // The request counts, and so does the prompt it may have sent; the output it never received does not.
        var usage = await engine.GetUsageAsync(policy);
        Assert.Equal(1m, usage.Single(u => u.Limit.Dimension == BudgetDimension.Requests).Used);
        Assert.Equal(300m, usage.Single(u => u.Limit.Dimension == BudgetDimension.TotalTokens).Used);
        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(UsageStatus.Cancelled, record.Status);
        Assert.Contains("abandoned", record.Reason);
    }

    [Fact]
    public async Task A_denial_names_the_limit_the_usage_and_when_to_retry()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = Policy();
        await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(500, 200)), new TokenUsage(500, 200));

        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => engine.ReserveAsync(policy, TestEngine.Estimate(200, 200)).AsTask());

        Assert.Equal(("lease", BudgetDimension.TotalTokens, BudgetWindow.Day), (denied.Scope, denied.Dimension!.Value, denied.Window!.Value));
        Assert.Equal((700m, 1_000m, 400m), (denied.Used, denied.Limit, denied.Requested));
        Assert.Equal(TimeSpan.FromHours(12), denied.RetryAfter);
        Assert.Equal("Budget 'lease' denied the call: the daily tokens limit is 1,000, 700 is used and this call needs 400. Retry after 12h 0m 0s (at 2026-03-16 00:00:00Z).", denied.Message);
        // All or none: the request counter was not left incremented by the failed reservation.
        Assert.Equal(1m, (await engine.GetUsageAsync(policy)).Single(u => u.Limit.Dimension == BudgetDimension.Requests).Used);
    }

    [Fact]
    public async Task Per_request_caps_deny_before_any_counter_moves()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("caps").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 5).WithMaxRequestCostUsd(0.01m).Build();

        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => engine.ReserveAsync(policy, TestEngine.Estimate(10, 10, cost: 0.02m)).AsTask());

        Assert.Equal((DenialKind.RequestCap, BudgetDimension.CostUsd), (denied.Kind, denied.Dimension!.Value));
        Assert.Null(denied.RetryAfter);
        Assert.Equal(0m, (await engine.GetUsageAsync(policy)).Single().Used);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            timeout.Token.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }
}
