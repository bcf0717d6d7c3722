namespace GuardedAI.Tests;

/// <summary>A budget's alert levels: every level once, lowest first, each alerting as its band says, and never a
/// stale table after <c>with</c>.</summary>
public class ThresholdLevelsTests
{
    [Fact]
    public void Further_levels_given_out_of_order_and_repeated_come_out_distinct_and_lowest_first()
    {
        var thresholds = new BudgetThresholds(WarnAtPercent: 70, CriticalAtPercent: 90, TripAtPercent: 95) { AlertAtPercents = [99, 50, 90, 80, 50, 120] };

        Assert.Equal(
            [new(50, AlertLevel.Warning), new(70, AlertLevel.Warning), new(80, AlertLevel.Warning), new(90, AlertLevel.Critical),
             new(95, AlertLevel.Emergency), new(99, AlertLevel.Emergency), new(120, AlertLevel.Emergency)],
            thresholds.Levels.ToArray());
        Assert.Same(thresholds.Levels, thresholds.Levels); // built once
    }

    [Fact]
    public void A_copy_with_other_levels_gets_its_own_table()
    {
        var first = new BudgetThresholds { AlertAtPercents = [50] };
        Assert.Contains(new ThresholdLevel(50, AlertLevel.Warning), first.Levels);

        var second = first with { AlertAtPercents = [60], TripAtPercent = 99 };
        Assert.Equal([60.0, 70, 90, 99], second.Levels.Select(l => l.Percent));
        Assert.Equal([50.0, 70, 90, 95], first.Levels.Select(l => l.Percent));
        Assert.Equal([70.0, 90, 95], BudgetThresholds.Default.Levels.Select(l => l.Percent));
    }
}
