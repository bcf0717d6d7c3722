namespace GuardedAI.Tests;

public class BreakerTests
{
    private static BudgetPolicy Policy(int failures = 3) => BudgetPolicy.Create("svc")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1000)
        .WithBreaker(new BreakerSettings { ConsecutiveFailuresToOpen = failures, FailureOpenDuration = TimeSpan.FromSeconds(30) })
        .Build();

    [Fact]
    public async Task Consecutive_failures_open_the_breaker_and_a_half_open_probe_closes_it()
    {
        var (engine, clock, alerts) = TestEngine.Create();
        var policy = Policy();
        for (var i = 0; i < 3; i++) await Fail(engine, policy);

        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)).AsTask());
        Assert.Equal(DenialKind.BreakerOpen, denied.Kind);
        Assert.Equal(TimeSpan.FromSeconds(30), denied.RetryAfter);

        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(CircuitBreakerState.HalfOpen, engine.Breakers.Get("svc").State);
        var probe = await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1));
        // Only one probe at a time.
        var second = await Assert.ThrowsAsync<BudgetExceededException>(() => engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)).AsTask());
        Assert.Equal(DenialKind.BreakerOpen, second.Kind);

        await engine.CommitAsync(probe, new TokenUsage(1, 1));
        Assert.Equal(CircuitBreakerState.Closed, engine.Breakers.Get("svc").State);
        await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1));

        await engine.Alerts.FlushAsync();
        Assert.Contains(alerts.Alerts, a => a.Level == AlertLevel.BreakerOpened);
        Assert.Contains(alerts.Alerts, a => a.Level == AlertLevel.BreakerClosed);
    }

    [Fact]
    public async Task A_failed_probe_reopens_the_breaker()
    {
        var (engine, clock, _) = TestEngine.Create();
        var policy = Policy();
        for (var i = 0; i < 3; i++) await Fail(engine, policy);
        clock.Advance(TimeSpan.FromSeconds(31));

        await Fail(engine, policy);

        var breaker = engine.Breakers.Get("svc");
        Assert.Equal(CircuitBreakerState.Open, breaker.State);
        Assert.StartsWith("probe failed", breaker.Reason);
    }

    [Fact]
    public async Task A_manual_trip_and_an_emergency_stop_deny_with_their_reason()
    {
        var (engine, clock, _) = TestEngine.Create();
        var policy = Policy();
        engine.Breakers.Get("svc").Trip("maintenance window", TimeSpan.FromMinutes(5));
        var tripped = await Assert.ThrowsAsync<BudgetExceededException>(() => engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)).AsTask());
        Assert.Contains("maintenance window", tripped.Message);
        Assert.Equal(TimeSpan.FromMinutes(5), tripped.RetryAfter);

        engine.Breakers.Get("svc").EmergencyStop("runaway agent");
        clock.Advance(TimeSpan.FromDays(2));
        var stopped = await Assert.ThrowsAsync<BudgetExceededException>(() => engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)).AsTask());
        Assert.Equal(DenialKind.EmergencyStop, stopped.Kind);
        Assert.Null(stopped.RetryAfter);

        engine.Breakers.Get("svc").Reset();
        await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1));
    }

    [Fact]
    public async Task Crossing_the_trip_threshold_opens_the_breaker_until_the_window_ends()
    {
        var (engine, clock, alerts) = TestEngine.Create();
        var policy = BudgetPolicy.Create("trip").WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 20).Build();
        for (var i = 0; i < 19; i++) await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1));

        // 19/20 = 95%: the trip threshold. The 20th request would fit the limit, but the breaker is open.
        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)).AsTask());
        Assert.Equal(DenialKind.BreakerOpen, denied.Kind);
        Assert.Equal(TimeSpan.FromHours(1), denied.RetryAfter); // the clock is at 12:00:00, the hour ends at 13:00
        Assert.Equal((BudgetDimension.Requests, BudgetWindow.Hour, 19m, 20m), (denied.Dimension!.Value, denied.Window!.Value, denied.Used, denied.Limit));

        await engine.Alerts.FlushAsync();
        var levels = alerts.Alerts.Where(a => a.Scope == "trip" && a.Dimension is not null).Select(a => a.Level).ToList();
        Assert.Equal([AlertLevel.Warning, AlertLevel.Critical, AlertLevel.Emergency], levels);

        clock.Advance(TimeSpan.FromHours(1));
        await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1));
    }

    [Fact]
    public async Task A_tenants_breaker_denies_only_its_calls_and_its_probe_closes_it()
    {
        var (engine, clock, _) = TestEngine.Create();
        var policy = Policy();
        var tier = BudgetPolicy.Create("tier-pro").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1000).Build();
        engine.SetTenantPolicy("acme", tier);
        var acme = new ReservationContext { Tenant = "acme" };
        // The tenant's policy is kept under the tenant's scope, and its breaker is that scope's.
        // Two closed breakers, twice: the calls share their breaker entries, and settling them leaves both closed.
        for (var i = 0; i < 2; i++) await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1), acme), new TokenUsage(1, 1));

        engine.Breakers.Get(BudgetEngine.TenantScope("acme")).Trip("tenant over its tier", TimeSpan.FromMinutes(1));
        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => engine.ReserveAsync(policy, TestEngine.Estimate(1, 1), acme).AsTask());
        Assert.Equal((DenialKind.BreakerOpen, BudgetEngine.TenantScope("acme")), (denied.Kind, denied.Denial.Scope));
        await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1)); // the budget's own calls go on

        clock.Advance(TimeSpan.FromMinutes(1));
        var probe = await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1), acme);
        var second = await Assert.ThrowsAsync<BudgetExceededException>(() => engine.ReserveAsync(policy, TestEngine.Estimate(1, 1), acme).AsTask());
        Assert.Equal(BudgetEngine.TenantScope("acme"), second.Denial.Scope); // one probe at a time
        await engine.CommitAsync(probe, new TokenUsage(1, 1));
        Assert.Equal(CircuitBreakerState.Closed, engine.Breakers.Get(BudgetEngine.TenantScope("acme")).State);
        Assert.Equal(CircuitBreakerState.Closed, engine.Breakers.Get("svc").State);
        await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1), acme), new TokenUsage(1, 1));
    }

    [Fact]
    public async Task A_budget_probe_that_a_tenants_open_breaker_stops_is_given_back_for_the_next_call()
    {
        var (engine, clock, _) = TestEngine.Create();
        var policy = Policy();
        engine.SetTenantPolicy("acme", BudgetPolicy.Create("tier-pro").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1000).Build());
        engine.Breakers.Get("svc").Trip("provider outage", TimeSpan.FromMinutes(1));
        engine.Breakers.Get(BudgetEngine.TenantScope("acme")).Trip("tenant over its tier", TimeSpan.FromMinutes(5));
        clock.Advance(TimeSpan.FromMinutes(1));

        // The budget's breaker is half-open and lets this call through as its probe; the tenant's, still open, denies it.
        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => engine.ReserveAsync(policy, TestEngine.Estimate(1, 1), new ReservationContext { Tenant = "acme" }).AsTask());
        Assert.Equal(BudgetEngine.TenantScope("acme"), denied.Denial.Scope);

        // So the probe was never sent: the next call may be it, and its success closes the budget's breaker.
        var probe = await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1));
        await engine.CommitAsync(probe, new TokenUsage(1, 1));
        Assert.Equal(CircuitBreakerState.Closed, engine.Breakers.Get("svc").State);
        Assert.Equal(CircuitBreakerState.Open, engine.Breakers.Get(BudgetEngine.TenantScope("acme")).State);
    }

    private static async Task Fail(BudgetEngine engine, BudgetPolicy policy)
    {
        var reservation = await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1));
        await engine.ReleaseAsync(reservation, UsageStatus.Failed, "HTTP 503");
    }
}
