namespace GuardedAI.Tests;

/// <summary>Levels, escalation, repeat interval, soft limits, projections, anomalies and over-reports, on a fake clock.</summary>
public class ThresholdAlertTests
{
    private static async Task Spend(BudgetEngine engine, BudgetPolicy policy, int calls, decimal cost = 0m, TokenUsage? usage = null, UsageEstimate? estimate = null)
    {
        var used = usage ?? new TokenUsage(1, 1);
        for (var i = 0; i < calls; i++)
            await engine.CommitAsync(await engine.ReserveAsync(policy, estimate ?? TestEngine.Estimate(Math.Max(10, used.InputTokens), Math.Max(10, used.OutputTokens), cost)), used);
        await engine.Alerts.FlushAsync();
    }

    [Fact]
    public async Task Any_number_of_levels_each_fire_once_per_window()
    {
        var (engine, clock, alerts) = TestEngine.Create(o => o.Alerts.ProjectExceedance = false);
        var policy = BudgetPolicy.Create("levels").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100)
            .WithAlertLevels(50, 80).WithThresholds(tripAtPercent: 100).Build();

        await Spend(engine, policy, 49);
        Assert.Empty(alerts.Alerts);
        await Spend(engine, policy, 1);
        await Spend(engine, policy, 45); // 95: one call at a time past 70, 80 and 90
        await Spend(engine, policy, 4);  // 99: nothing new

        Assert.Equal([50.0, 70.0, 80.0, 90.0], alerts.Alerts.Select(a => a.ThresholdPercent!.Value));
        Assert.Equal([AlertLevel.Warning, AlertLevel.Warning, AlertLevel.Warning, AlertLevel.Critical], alerts.Alerts.Select(a => a.Level));
        Assert.All(alerts.Alerts, a => Assert.Equal(new DateTimeOffset(2026, 3, 16, 0, 0, 0, TimeSpan.Zero), a.WindowEnd));

        clock.Advance(TimeSpan.FromDays(1));
        await Spend(engine, policy, 50);
        Assert.Equal(50.0, alerts.Alerts[^1].ThresholdPercent); // a new window fires again
        Assert.Equal(5, alerts.Alerts.Count);
    }

    [Fact]
    public async Task A_jump_past_several_levels_sends_only_the_highest_and_escalation_sends_each_higher_level_once()
    {
        var (engine, _, alerts) = TestEngine.Create(o => o.Alerts.ProjectExceedance = false);
        var policy = BudgetPolicy.Create("jump").WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 1000).WithBreaker(BreakerSettings.Default with { TripOnThreshold = false }).Build();

        await Spend(engine, policy, 1, usage: new TokenUsage(500, 420)); // 92%: warning and critical crossed at once
        await Spend(engine, policy, 1, usage: new TokenUsage(1, 1));     // still 92%
        await Spend(engine, policy, 1, usage: new TokenUsage(20, 20));   // 96%: emergency

        Assert.Equal([AlertLevel.Critical, AlertLevel.Emergency], alerts.Alerts.Select(a => a.Level));
    }

    [Fact]
    public async Task A_minute_window_warning_repeats_at_most_once_per_repeat_interval()
    {
        var (engine, clock, alerts) = TestEngine.Create(o => o.Alerts.ProjectExceedance = false);
        var policy = BudgetPolicy.Create("rpm").WithLimit(BudgetDimension.Requests, BudgetWindow.Minute, 10).WithThresholds(tripAtPercent: 100).Build();

        for (var minute = 0; minute < 61; minute++)
        {
            await Spend(engine, policy, 8); // 80% every minute
            clock.Advance(TimeSpan.FromMinutes(1));
        }

        // Minute 0 and minute 60: once per hour (the default repeat interval), not 61 times.
        Assert.Equal(2, alerts.Alerts.Count(a => a.Level == AlertLevel.Warning));
        Assert.Equal([TestEngine.Start, TestEngine.Start.AddMinutes(60)], alerts.Alerts.Select(a => new DateTimeOffset(a.Timestamp.Year, a.Timestamp.Month, a.Timestamp.Day, a.Timestamp.Hour, a.Timestamp.Minute, 0, TimeSpan.Zero)));
    }

    [Fact]
    public async Task A_soft_limit_alerts_once_and_never_denies()
    {
        var (engine, _, alerts) = TestEngine.Create(o => o.Alerts.ProjectExceedance = false);
        var policy = BudgetPolicy.Create("soft").WithSoftLimit(BudgetDimension.Requests, BudgetWindow.Day, 5).Build();

        await Spend(engine, policy, 12); // no hard limit at all: nothing is denied

        var soft = Assert.Single(alerts.Alerts);
        Assert.True(soft.IsSoftLimit);
        Assert.Equal(AlertLevel.Warning, soft.Level);
        Assert.Equal(5m, soft.Limit);
        Assert.Equal(5m, soft.Used);
        Assert.Contains("soft limit", soft.Message);
    }

    [Fact]
    public void A_soft_limit_at_or_above_the_hard_limit_is_refused()
    {
        var error = Assert.Throws<BudgetPolicyException>(() => BudgetPolicy.Create("x").WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 5)
            .WithSoftLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 5).Build());
        Assert.Contains("soft daily cost limit", error.Message);
        Assert.Contains("not below the hard limit", error.Message);
    }

    [Fact]
    public async Task A_window_whose_trend_reaches_the_limit_before_it_ends_alerts_once_with_the_projected_time()
    {
        // 12:00 on a day window: half the day is gone.
        var (engine, clock, alerts) = TestEngine.Create(o => o.Alerts.AnomalyFactor = 0);
        var policy = BudgetPolicy.Create("trend").WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 1000).Build();

        await Spend(engine, policy, 1, usage: new TokenUsage(200, 200)); // 400 in 12 h: 800 by midnight, under the limit
        Assert.DoesNotContain(alerts.Alerts, a => a.Level == AlertLevel.ProjectedToExceed);

        clock.Advance(TimeSpan.FromHours(2));
        await Spend(engine, policy, 1, usage: new TokenUsage(100, 100)); // 600 in 14 h: the limit at 14:00 + 400 / (600 / 14 h) = 23:20
        var projected = Assert.Single(alerts.Alerts, a => a.Level == AlertLevel.ProjectedToExceed);
        Assert.Equal(new DateTimeOffset(2026, 3, 15, 23, 20, 0, TimeSpan.Zero), projected.ProjectedExhaustion);
        Assert.Contains("reaches the limit at 2026-03-15 23:20:00Z", projected.Message);

        await Spend(engine, policy, 1, usage: new TokenUsage(10, 10));
        Assert.Single(alerts.Alerts, a => a.Level == AlertLevel.ProjectedToExceed); // once per window
    }

    [Fact]
    public async Task No_projection_is_made_early_in_a_window()
    {
        var (engine, _, alerts) = TestEngine.Create(start: new DateTimeOffset(2026, 3, 15, 1, 0, 0, TimeSpan.Zero));
        var policy = BudgetPolicy.Create("early").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100).Build();

        await Spend(engine, policy, 20); // 1 h into the day (4% < 10%): 20 would project to 480, but the trend is too young

        Assert.DoesNotContain(alerts.Alerts, a => a.Level == AlertLevel.ProjectedToExceed);
    }

    [Theory]
    [InlineData(0.1, 100, false)] // 02:24, 10 % of the day gone: 100 of 1,000 reaches exactly 1,000 at midnight
    [InlineData(0.1, 101, true)]  // 10.1 %: the trend passes the limit before midnight
    [InlineData(0.5, 500, false)]
    [InlineData(0.5, 501, true)]
    public async Task A_projection_fires_from_the_first_counter_value_whose_trend_passes_the_limit(double minimumElapsed, int used, bool projected)
    {
        // Settlements below the lowest alert level and below the minimum elapsed share of the limit skip the projection;
        // these sit on that bound, far below the lowest level (70 %).
        var dayStart = new DateTimeOffset(2026, 3, 15, 0, 0, 0, TimeSpan.Zero);
        var (engine, _, alerts) = TestEngine.Create(o =>
        {
            o.Alerts.AnomalyFactor = 0;
            o.Alerts.ProjectionMinimumElapsed = minimumElapsed;
        }, start: dayStart + TimeSpan.FromTicks((long)(TimeSpan.TicksPerDay * minimumElapsed)));
        var policy = BudgetPolicy.Create("edge").WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 1000).Build();

        await Spend(engine, policy, 1, usage: new TokenUsage(used - 10, 10));

        Assert.Equal(projected, alerts.Alerts.Any(a => a.Level == AlertLevel.ProjectedToExceed));
    }

    [Fact]
    public async Task A_projection_fires_exactly_when_the_windows_trend_passes_its_limit_before_the_window_ends()
    {
        // The rule in integers: after the minimum share of the window, used × length > limit × elapsed. Random counters and
        // instants, most of them far below every alert level, where the settlement takes its quick path.
        var random = new Random(20261203);
        var dayStart = new DateTimeOffset(2026, 3, 15, 0, 0, 0, TimeSpan.Zero);
        const long limit = 1_000_000;
        for (var n = 0; n < 200; n++)
        {
            var elapsed = random.NextInt64(1, TimeSpan.TicksPerDay);
            var used = random.Next(0, 2) == 0 ? random.NextInt64(20, limit / 4) : random.NextInt64(20, limit - 20);
            var (engine, _, alerts) = TestEngine.Create(o => o.Alerts.AnomalyFactor = 0, start: dayStart + TimeSpan.FromTicks(elapsed));
            var policy = BudgetPolicy.Create("trend").WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, limit)
                .WithBreaker(BreakerSettings.Default with { TripOnThreshold = false }).Build();

            await Spend(engine, policy, 1, usage: new TokenUsage(used - 10, 10));

            var expected = elapsed >= TimeSpan.TicksPerDay / 10 && (System.Numerics.BigInteger)used * TimeSpan.TicksPerDay > (System.Numerics.BigInteger)limit * elapsed;
            Assert.True(expected == alerts.Alerts.Any(a => a.Level == AlertLevel.ProjectedToExceed),
                $"{used:#,0} of {limit:#,0} at {elapsed / (double)TimeSpan.TicksPerDay:P4} of the day: projected expected {expected}");
        }
    }

    [Fact]
    public async Task An_hour_far_above_its_baseline_is_an_anomaly()
    {
        var (engine, clock, alerts) = TestEngine.Create(o => o.Alerts.ProjectExceedance = false, start: new DateTimeOffset(2026, 3, 15, 0, 0, 0, TimeSpan.Zero));
        var policy = BudgetPolicy.Create("anomaly").WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 10_000).Build();
        var usage = new TokenUsage(1_000_000, 0); // gpt-4o-mini: $0.15 per call

        for (var hour = 0; hour < 6; hour++)
        {
            await Spend(engine, policy, 10, cost: 1m, usage: usage); // $1.50 an hour
            clock.Advance(TimeSpan.FromHours(1));
        }
        await Spend(engine, policy, 29, cost: 1m, usage: usage); // $4.35: 2.9× the baseline
        Assert.DoesNotContain(alerts.Alerts, a => a.Level == AlertLevel.SpendAnomaly);

        await Spend(engine, policy, 1, cost: 1m, usage: usage); // $4.50: 3×
        var anomaly = Assert.Single(alerts.Alerts, a => a.Level == AlertLevel.SpendAnomaly);
        Assert.Equal(4.5m, anomaly.Used);
        Assert.Equal(1.5m, anomaly.Limit);
        Assert.Contains("3× its baseline", anomaly.Message);
        Assert.Contains("the mean of the last 6 hours", anomaly.Message);

        await Spend(engine, policy, 10, cost: 1m, usage: usage);
        Assert.Single(alerts.Alerts, a => a.Level == AlertLevel.SpendAnomaly); // once per hour
    }

    [Fact]
    public async Task An_anomaly_needs_enough_baseline_hours()
    {
        var (engine, clock, alerts) = TestEngine.Create(o => o.Alerts.ProjectExceedance = false);
        var policy = BudgetPolicy.Create("young").WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 10_000).Build();

        await Spend(engine, policy, 1, cost: 1m, usage: new TokenUsage(1_000_000, 0));
        clock.Advance(TimeSpan.FromHours(1));
        await Spend(engine, policy, 100, cost: 1m, usage: new TokenUsage(1_000_000, 0)); // 100× but only 1 hour of history

        Assert.DoesNotContain(alerts.Alerts, a => a.Level == AlertLevel.SpendAnomaly);
    }

    [Fact]
    public async Task A_provider_reporting_more_than_was_reserved_is_alerted_once_per_repeat_interval()
    {
        var (engine, clock, alerts) = TestEngine.Create(o => o.Alerts.ProjectExceedance = false);
        var policy = BudgetPolicy.Create("over").WithLimit(BudgetDimension.Requests, BudgetWindow.Month, 1000).Build();

        await Spend(engine, policy, 3, usage: new TokenUsage(10, 500), estimate: TestEngine.Estimate(10, 10)); // 10 output reserved, 500 reported
        clock.Advance(TimeSpan.FromMinutes(61));
        await Spend(engine, policy, 1, usage: new TokenUsage(10, 500), estimate: TestEngine.Estimate(10, 10));

        var over = alerts.Alerts.Where(a => a.Level == AlertLevel.ProviderOverReport).ToArray();
        Assert.Equal(2, over.Length);
        Assert.Contains("500 output tokens", over[0].Message);
        Assert.Contains("more than the 10 and 10 reserved", over[0].Message);
    }

    [Fact]
    public async Task Breaker_alerts_send_every_change_but_not_the_same_state_again_within_the_interval()
    {
        var (engine, clock, alerts) = TestEngine.Create();
        var breaker = engine.Breakers.Get("flappy");

        breaker.Trip("test", TimeSpan.FromMinutes(5));
        breaker.Reset();
        breaker.Trip("again", TimeSpan.FromMinutes(5));
        breaker.Trip("and again", TimeSpan.FromMinutes(5));
        await engine.Alerts.FlushAsync();

        Assert.Equal([AlertLevel.BreakerOpened, AlertLevel.BreakerClosed, AlertLevel.BreakerOpened], alerts.Alerts.Select(a => a.Level));
    }
}
