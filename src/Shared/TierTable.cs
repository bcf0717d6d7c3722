// The numbers of the budget tiers and the default alert thresholds, compiled into both the runtime (src/Runtime) and
// the analyzers (src/Analyzers) as a linked file, so that GAI002 at build time checks the same effective policy the
// runtime enforces. Keep it netstandard2.0-compatible and dependency-free: it is source in several assemblies, linked
// together with BudgetSchema.cs, which names the [LlmBudget] property each number sets.
using System.Collections.Generic;
using GuardedAI.Schema;

namespace GuardedAI.Tiers;

/// <summary>One tier's limits and per-request caps (docs/tiers.md).</summary>
internal sealed class TierRow
{
    public TierRow(int dailyRequests, long dailyTokens, decimal dailyCostUsd, int hourlyRequests, long hourlyTokens, decimal hourlyCostUsd,
        int maxInputTokens, int maxOutputTokens, decimal maxRequestCostUsd)
    {
        DailyRequests = dailyRequests;
        DailyTokens = dailyTokens;
        DailyCostUsd = dailyCostUsd;
        HourlyRequests = hourlyRequests;
        HourlyTokens = hourlyTokens;
        HourlyCostUsd = hourlyCostUsd;
        MaxInputTokens = maxInputTokens;
        MaxOutputTokens = maxOutputTokens;
        MaxRequestCostUsd = maxRequestCostUsd;
    }

    public int DailyRequests { get; }
    public long DailyTokens { get; }
    public decimal DailyCostUsd { get; }
    public int HourlyRequests { get; }
    public long HourlyTokens { get; }
    public decimal HourlyCostUsd { get; }
    public int MaxInputTokens { get; }
    public int MaxOutputTokens { get; }
    public decimal MaxRequestCostUsd { get; }

    /// <summary>
    /// What applying the tier sets, as <c>[LlmBudget]</c> properties in schema order; zeros are "not set", as in
    /// <c>BudgetPolicyBuilder.WithTier</c>. The analyzers replay a tier through this list.
    /// </summary>
    public IEnumerable<KeyValuePair<BudgetProperty, decimal>> Values()
    {
        var values = new[]
        {
            Pair(BudgetSchema.HourlyRequests, HourlyRequests),
            Pair(BudgetSchema.HourlyTokens, HourlyTokens),
            Pair(BudgetSchema.HourlyCostUsd, HourlyCostUsd),
            Pair(BudgetSchema.DailyRequests, DailyRequests),
            Pair(BudgetSchema.DailyTokens, DailyTokens),
            Pair(BudgetSchema.DailyCostUsd, DailyCostUsd),
            Pair(BudgetSchema.MaxInputTokens, MaxInputTokens),
            Pair(BudgetSchema.MaxOutputTokens, MaxOutputTokens),
            Pair(BudgetSchema.MaxRequestCostUsd, MaxRequestCostUsd),
        };
        foreach (var value in values)
        {
            if (value.Value > 0) yield return value;
        }
    }

    private static KeyValuePair<BudgetProperty, decimal> Pair(BudgetProperty property, decimal value) => new(property, value);
}

/// <summary>The tier table, indexed by the <c>BudgetTier</c> enum value (Custom = 0, Free, Economy, Standard, Premium).</summary>
internal static class TierTable
{
    public const double DefaultWarnAtPercent = 70;
    public const double DefaultCriticalAtPercent = 90;
    public const double DefaultTripAtPercent = 95;

    /// <summary>Tier names in enum order (a test checks them against the runtime's <c>BudgetTier</c>).</summary>
    public static readonly string[] Names = { "Custom", "Free", "Economy", "Standard", "Premium" };

    /// <summary>The row of tier <paramref name="tier"/>; null for Custom (no limits) and for values outside the enum.</summary>
    public static TierRow? Get(int tier) => tier switch
    {
        1 => new TierRow(50, 25_000, 0.25m, 10, 5_000, 0.05m, 2_000, 1_000, 0.02m),
        2 => new TierRow(100, 50_000, 0.50m, 20, 10_000, 0.10m, 4_000, 2_000, 0.05m),
        3 => new TierRow(300, 150_000, 2.00m, 50, 30_000, 0.35m, 8_000, 4_000, 0.15m),
        4 => new TierRow(500, 300_000, 5.00m, 100, 60_000, 0.75m, 16_000, 8_000, 0.30m),
        _ => null,
    };
}
