namespace GuardedAI.Tests;

public class PolicyTests
{
    [Theory]
    [InlineData(BudgetTier.Free, 50, 25_000, 0.25, 10, 5_000, 0.05, 2_000, 0.02)]
    [InlineData(BudgetTier.Economy, 100, 50_000, 0.50, 20, 10_000, 0.10, 4_000, 0.05)]
    [InlineData(BudgetTier.Standard, 300, 150_000, 2.00, 50, 30_000, 0.35, 8_000, 0.15)]
    [InlineData(BudgetTier.Premium, 500, 300_000, 5.00, 100, 60_000, 0.75, 16_000, 0.30)]
    public void Tiers_carry_the_reference_numbers(BudgetTier tier, int dailyRequests, int dailyTokens, double dailyCost, int hourlyRequests, int hourlyTokens, double hourlyCost, int maxInput, double maxCost)
    {
        var policy = BudgetPolicy.ForTier("t", tier).Build();

        Assert.Equal(dailyRequests, policy.GetLimit(BudgetDimension.Requests, BudgetWindow.Day));
        Assert.Equal(dailyTokens, policy.GetLimit(BudgetDimension.TotalTokens, BudgetWindow.Day));
        Assert.Equal((decimal)dailyCost, policy.GetLimit(BudgetDimension.CostUsd, BudgetWindow.Day));
        Assert.Equal(hourlyRequests, policy.GetLimit(BudgetDimension.Requests, BudgetWindow.Hour));
        Assert.Equal(hourlyTokens, policy.GetLimit(BudgetDimension.TotalTokens, BudgetWindow.Hour));
        Assert.Equal((decimal)hourlyCost, policy.GetLimit(BudgetDimension.CostUsd, BudgetWindow.Hour));
        Assert.Equal(maxInput, policy.MaxInputTokens);
        Assert.Equal((decimal)maxCost, policy.MaxRequestCostUsd);
        Assert.Equal(new BudgetThresholds(70, 90, 95), policy.Thresholds);
    }

    [Fact]
    public void Custom_has_no_limits_and_explicit_limits_override_a_tier()
    {
        Assert.Empty(BudgetPolicy.ForTier("c", BudgetTier.Custom).Build().Limits);
        var policy = BudgetPolicy.ForTier("f", BudgetTier.Free).WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 0.10m).Build();
        Assert.Equal(0.10m, policy.GetLimit(BudgetDimension.CostUsd, BudgetWindow.Day));
    }

    [Theory]
    [InlineData("zero", "the daily requests limit must be positive, but is 0")]
    [InlineData("hourly-above-daily", "the hourly tokens limit (9,000) is above the daily tokens limit (5,000); a shorter window's limit must not exceed a longer window's")]
    [InlineData("cap-above-limit", "MaxOutputTokens (6,000) is above the daily tokens limit (5,000); a request that large would always be denied")]
    [InlineData("thresholds", "WarnAtPercent (95) is not below CriticalAtPercent (90); thresholds must satisfy 0 < warn < critical <= trip <= 100")]
    [InlineData("fraction", "the daily requests limit must be a whole number, but is 2.5")]
    public void Invalid_policies_are_rejected_naming_the_value(string kind, string problem)
    {
        var builder = BudgetPolicy.Create("bad");
        switch (kind)
        {
            case "zero": builder.WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 0); break;
            case "hourly-above-daily": builder.WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 5_000).WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Hour, 9_000); break;
            case "cap-above-limit": builder.WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 5_000).WithMaxOutputTokens(6_000); break;
            case "thresholds": builder.WithThresholds(95, 90, 95); break;
            case "fraction": builder.WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 2.5m); break;
        }

        var error = Assert.Throws<BudgetPolicyException>(() => builder.Build());

        Assert.Equal("bad", error.PolicyName);
        Assert.Equal(problem, error.Problem);
        Assert.StartsWith("Budget 'bad' is invalid: ", error.Message);
    }

    [Fact]
    public void Every_dimension_and_window_can_be_limited_and_the_limits_come_shortest_window_first_then_by_dimension()
    {
        var builder = BudgetPolicy.Create("all");
        // Set in reverse, so the order of the result is the builder's, not the caller's.
        foreach (var window in Enum.GetValues<BudgetWindow>().Reverse())
            foreach (var dimension in Enum.GetValues<BudgetDimension>().Reverse())
                builder.WithLimit(dimension, window, 1_000_000 + 1_000 * (int)window + (int)dimension);
        builder.WithoutLimit(BudgetDimension.Turns, BudgetWindow.Minute);

        var limits = builder.Build().Limits;

        var expected = Enum.GetValues<BudgetWindow>().SelectMany(w => Enum.GetValues<BudgetDimension>().Select(d => (d, w)))
            .Where(l => l != (BudgetDimension.Turns, BudgetWindow.Minute)).ToList();
        Assert.Equal(expected, limits.Select(l => (l.Dimension, l.Window)).ToList());
        Assert.All(limits, l => Assert.Equal(1_000_000 + 1_000 * (int)l.Window + (int)l.Dimension, l.Amount));
    }

    [Fact]
    public void A_dimension_or_window_that_is_not_defined_is_refused_where_it_is_given()
    {
        var builder = BudgetPolicy.Create("odd");

        var dimension = Assert.Throws<ArgumentOutOfRangeException>(() => builder.WithLimit((BudgetDimension)42, BudgetWindow.Day, 10));
        var window = Assert.Throws<ArgumentOutOfRangeException>(() => builder.WithoutLimit(BudgetDimension.Requests, (BudgetWindow)(-1)));

        Assert.Equal("dimension", dimension.ParamName);
        Assert.Contains("Budget 'odd': 42 is not a BudgetDimension", dimension.Message);
        Assert.Equal("window", window.ParamName);
        Assert.Contains("-1 is not a BudgetWindow", window.Message);
    }
}
