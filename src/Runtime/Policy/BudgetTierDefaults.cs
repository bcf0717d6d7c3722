namespace GuardedAI;

/// <summary>The limits of each <see cref="BudgetTier"/> (see <c>docs/tiers.md</c>).</summary>
public static class BudgetTierDefaults
{
    /// <summary>The limits, per-request caps of <paramref name="tier"/>; empty for <see cref="BudgetTier.Custom"/>.</summary>
    public static TierDefinition Get(BudgetTier tier) => tier switch
    {
        BudgetTier.Free => new(50, 25_000, 0.25m, 10, 5_000, 0.05m, 2_000, 1_000, 0.02m),
        BudgetTier.Economy => new(100, 50_000, 0.50m, 20, 10_000, 0.10m, 4_000, 2_000, 0.05m),
        BudgetTier.Standard => new(300, 150_000, 2.00m, 50, 30_000, 0.35m, 8_000, 4_000, 0.15m),
        BudgetTier.Premium => new(500, 300_000, 5.00m, 100, 60_000, 0.75m, 16_000, 8_000, 0.30m),
        BudgetTier.Custom => TierDefinition.Empty,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "Unknown budget tier."),
    };

    /// <summary>A tier's numbers.</summary>
    public sealed record TierDefinition(
        int DailyRequests, long DailyTokens, decimal DailyCostUsd,
        int HourlyRequests, long HourlyTokens, decimal HourlyCostUsd,
        int MaxInputTokens, int MaxOutputTokens, decimal MaxRequestCostUsd)
    {
        /// <summary>No limits at all.</summary>
        public static TierDefinition Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0);

        /// <summary>The window limits of the tier, skipping zeros.</summary>
        public IEnumerable<BudgetLimit> Limits()
        {
            if (DailyRequests > 0) yield return new(BudgetDimension.Requests, BudgetWindow.Day, DailyRequests);
            if (DailyTokens > 0) yield return new(BudgetDimension.TotalTokens, BudgetWindow.Day, DailyTokens);
            if (DailyCostUsd > 0) yield return new(BudgetDimension.CostUsd, BudgetWindow.Day, DailyCostUsd);
            if (HourlyRequests > 0) yield return new(BudgetDimension.Requests, BudgetWindow.Hour, HourlyRequests);
            if (HourlyTokens > 0) yield return new(BudgetDimension.TotalTokens, BudgetWindow.Hour, HourlyTokens);
            if (HourlyCostUsd > 0) yield return new(BudgetDimension.CostUsd, BudgetWindow.Hour, HourlyCostUsd);
        }
    }
}
