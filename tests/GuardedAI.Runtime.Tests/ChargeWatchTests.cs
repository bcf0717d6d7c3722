using GuardedAI.Engine;

namespace GuardedAI.Tests;

/// <summary>
/// The threshold monitor's marks for a shared charge set (<see cref="ChargeWatch"/>): a settlement below every mark
/// only records its percent, so a mark must never be above a value the full look would act on, and whatever the
/// full look did for such a budget (levels, degradation readings, other engines) must still happen.
/// </summary>
public sealed class ChargeWatchTests
{
    [Fact]
    public void A_mark_is_never_above_a_value_whose_percent_reaches_the_level()
    {
        // The full look acts when value × 100.0 / limit >= percent (in doubles). Every value below the mark must stay
        // below the level by that very comparison, for limits from 1 to 2⁶² and levels from a millionth of a percent to 100.
        var random = new Random(20261203);
        for (var n = 0; n < 200_000; n++)
        {
            var limit = n % 4 switch
            {
                0 => random.NextInt64(1, 1_000),
                1 => random.NextInt64(1, 10_000_000_000),
                2 => random.NextInt64(1, long.MaxValue / 2),
                _ => long.MaxValue / 2 - random.NextInt64(0, 1_000),
            };
            var percent = n % 3 == 0 ? random.Next(1, 101) : random.NextDouble() * 100 + 1e-6;
            var mark = ChargeWatch.Below(percent, limit);
            var below = mark - 1;
            Assert.True(mark == 0 || below * 100.0 / limit < percent, $"{below:#,0} of {limit:#,0} is quiet but is {below * 100.0 / limit}% against a level of {percent}%");
            // Not needlessly low: within a hundred-millionth of the exact bound (or one unit), so nearly every quiet value is
            // taken as quiet.
            var exact = percent * limit / 100;
            Assert.True(mark >= exact * (1 - 1e-8) - 1, $"mark {mark:#,0} for {percent}% of {limit:#,0} is far below {exact:#,0}");
        }
    }

    [Theory]
    [InlineData(double.PositiveInfinity, 1_000, long.MaxValue)]
    [InlineData(0.0, 1_000, 0L)]
    [InlineData(70.0, 1, 0L)]
    [InlineData(100.0, long.MaxValue, long.MaxValue - 1)]
    public void A_mark_at_the_edges(double percent, long limit, long expectedAtMost)
    {
        var mark = ChargeWatch.Below(percent, limit);

        Assert.True(mark <= expectedAtMost, $"{mark:#,0} > {expectedAtMost:#,0}");
        Assert.True(mark >= 0);
    }

    [Fact]
    public async Task A_budget_shared_by_two_engines_alerts_as_each_engines_settings_say()
    {
        // The budget's charge set is cached on the policy, so both engines settle the same set: the first keeps its marks
        // on it, and the second, whose settings differ, must not use them. At noon half the day is gone, so the second
        // engine projects the limit reached from the 6th request (6/10 > 1/2); the first projects nothing and warns at 8.
        var policy = BudgetPolicy.Create("shared-set").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10)
            .WithThresholds(warnAtPercent: 80, criticalAtPercent: 90, tripAtPercent: 100).Build();
        var (first, _, firstAlerts) = TestEngine.Create(o => { o.Alerts.ProjectExceedance = false; o.Alerts.AnomalyFactor = 0; });
        var (second, _, secondAlerts) = TestEngine.Create(o => o.Alerts.AnomalyFactor = 0);

        for (var call = 1; call <= 8; call++)
        {
            foreach (var engine in new[] { first, second })
            {
                await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(10, 10)), new TokenUsage(5, 5));
                await engine.Alerts.FlushAsync();
            }
            Assert.Equal(call >= 8, firstAlerts.Alerts.Any(a => a.Level == AlertLevel.Warning));
            Assert.DoesNotContain(firstAlerts.Alerts, a => a.Level == AlertLevel.ProjectedToExceed);
            Assert.Equal(call >= 6, secondAlerts.Alerts.Any(a => a.Level == AlertLevel.ProjectedToExceed));
            Assert.Equal(call >= 8, secondAlerts.Alerts.Any(a => a.Level == AlertLevel.Warning));
        }
    }

    [Fact]
    public async Task A_quiet_settlement_still_records_how_close_the_budget_is_for_degradation()
    {
        // Below every mark nothing alerts, but the degradation steps read the budget's percent: 3 of 10 requests is 30 %.
        var (engine, clock, alerts) = TestEngine.Create(o => { o.Alerts.ProjectExceedance = false; o.Alerts.AnomalyFactor = 0; });
        var policy = BudgetPolicy.Create("readings").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10).Build();

        for (var call = 0; call < 3; call++) await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(10, 10)), new TokenUsage(5, 5));
        await engine.Alerts.FlushAsync();

        Assert.Empty(alerts.Alerts);
        Assert.Equal(30.0, engine.Parts.Thresholds.Levels.HighestPercent(policy, clock.GetUtcNow()), 6);
    }

    [Fact]
    public async Task A_soft_limit_below_every_level_is_its_counters_mark()
    {
        // The soft limit (2 requests) is far below the lowest level (70 % of 100): the mark must be the soft limit.
        var (engine, _, alerts) = TestEngine.Create(o => { o.Alerts.ProjectExceedance = false; o.Alerts.AnomalyFactor = 0; });
        var policy = BudgetPolicy.Create("soft-mark").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100)
            .WithSoftLimit(BudgetDimension.Requests, BudgetWindow.Day, 2).Build();

        for (var call = 1; call <= 3; call++)
        {
            await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(10, 10)), new TokenUsage(5, 5));
            await engine.Alerts.FlushAsync();
            Assert.Equal(call >= 2, alerts.Alerts.Any(a => a.IsSoftLimit));
        }
    }
}
