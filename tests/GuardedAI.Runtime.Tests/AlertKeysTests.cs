using GuardedAI.Engine;

namespace GuardedAI.Tests;

/// <summary>The threshold monitor's de-duplication keys: built once, and the same text as before they were cached — a
/// shared dedup store (Redis) holds them across instances, so two versions of GuardedAI side by side must agree.</summary>
public class AlertKeysTests
{
    private static readonly CounterKey Daily = new("support-bot", BudgetDimension.CostUsd, BudgetWindow.Day, new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Each_kind_of_key_has_the_text_shared_dedup_stores_already_hold()
    {
        var keys = new AlertKeys();
        Assert.Equal("support-bot|CostUsd|Day|Warning@80", keys.Level(Daily, new ThresholdLevel(80, AlertLevel.Warning)));
        Assert.Equal("support-bot|CostUsd|Day|Critical@92.5", keys.Level(Daily, new ThresholdLevel(92.5, AlertLevel.Critical)));
        Assert.Equal("support-bot|CostUsd|Day|soft", keys.Soft(Daily));
        Assert.Equal("support-bot|CostUsd|Day|projected", keys.Projected(Daily));
        Assert.Equal("support-bot|over-report|gpt-4o-mini", keys.OverReport("support-bot", "gpt-4o-mini"));
    }

    [Fact]
    public void A_key_asked_for_again_is_the_same_instance_and_after_the_cache_starts_again_the_same_text()
    {
        var keys = new AlertKeys();
        var level = new ThresholdLevel(80, AlertLevel.Warning);
        var first = keys.Level(Daily, level);
        Assert.Same(first, keys.Level(Daily, level));
        // Another window start is the same counter for alerting (the window end is the dispatcher's business).
        Assert.Same(first, keys.Level(Daily with { WindowStart = Daily.WindowStart.AddDays(1) }, level));
        Assert.NotEqual(first, keys.Level(Daily with { Scope = "support-bot-2" }, level));

        for (var i = 0; i < 5000; i++) keys.Soft(Daily with { Scope = "tenant-" + i });
        var again = keys.Level(Daily, level);
        Assert.Equal(first, again);
    }
}
