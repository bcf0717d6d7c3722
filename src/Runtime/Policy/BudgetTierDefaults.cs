namespace GuardedAI;

/// <summary>The limits of each <see cref="BudgetTier"/> (see <c>docs/tiers.md</c>).</summary>
internal static class BudgetTierDefaults
{
    /// <summary>The limits, per-request caps of <paramref name="tier"/>; empty for <see cref="BudgetTier.Custom"/>.</summary>
    public static TierDefinition Get(BudgetTier tier)
    {
        if (!Enum.IsDefined(tier)) throw new ArgumentOutOfRangeException(nameof(tier), tier, "Unknown budget tier.");
        // The numbers live in src/Shared/TierTable.cs, which the analyzers compile too (GAI002 checks the same policy).
        return Tiers.TierTable.Get((int)tier) is { } row
            ? new(row.DailyRequests, row.DailyTokens, row.DailyCostUsd, row.HourlyRequests, row.HourlyTokens, row.HourlyCostUsd,
                row.MaxInputTokens, row.MaxOutputTokens, row.MaxRequestCostUsd)
            : TierDefinition.Empty;
    }

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
