using System.Collections.Generic;
using GuardedAI.Tiers;

namespace GuardedAI.Analyzers;

/// <summary>The LlmBudgetAttribute properties GAI002 checks, with the dimension and window each one limits.</summary>
internal static class BudgetLimits
{
    public const string Model = "Model";
    public const string Tier = "Tier";
    public const string MaxInputTokens = "MaxInputTokens";
    public const string MaxOutputTokens = "MaxOutputTokens";
    public const string MaxRequestCostUsd = "MaxRequestCostUsd";
    public const string WarnAtPercent = "WarnAtPercent";
    public const string CriticalAtPercent = "CriticalAtPercent";
    public const string TripAtPercent = "TripAtPercent";

    /// <summary>Window limits per dimension, shortest window first (minute &lt; hour &lt; day &lt; month).</summary>
    public static readonly string[] Requests = { "RequestsPerMinute", "HourlyRequests", "DailyRequests", "MonthlyRequests" };
    public static readonly string[] Tokens = { "TokensPerMinute", "HourlyTokens", "DailyTokens", "MonthlyTokens" };
    public static readonly string[] Cost = { "HourlyCostUsd", "DailyCostUsd", "MonthlyCostUsd" };

    public static readonly string[][] Dimensions = { Requests, Tokens, Cost };

    /// <summary>Every numeric property: each must be positive when set.</summary>
    public static readonly string[] Numeric =
    {
        "RequestsPerMinute", "TokensPerMinute", "HourlyRequests", "HourlyTokens", "HourlyCostUsd", "DailyRequests", "DailyTokens",
        "DailyCostUsd", "MonthlyRequests", "MonthlyTokens", "MonthlyCostUsd", MaxInputTokens, MaxOutputTokens, MaxRequestCostUsd,
        WarnAtPercent, CriticalAtPercent, TripAtPercent,
    };

    public static readonly Dictionary<string, double> DefaultThresholds = new()
    {
        [WarnAtPercent] = TierTable.DefaultWarnAtPercent,
        [CriticalAtPercent] = TierTable.DefaultCriticalAtPercent,
        [TripAtPercent] = TierTable.DefaultTripAtPercent,
    };

    /// <summary>Tier names in enum order (Custom, Free, Economy, Standard, Premium).</summary>
    public static string[] TierNames => TierTable.Names;

    /// <summary>The tier's defaults as attribute property values; the numbers are src/Shared/TierTable.cs, which the runtime compiles too.</summary>
    public static Dictionary<string, double> TierDefaults(int tier)
    {
        var row = TierTable.Get(tier);
        if (row is null) return new Dictionary<string, double>();
        return new Dictionary<string, double>
        {
            ["DailyRequests"] = row.DailyRequests,
            ["DailyTokens"] = row.DailyTokens,
            ["DailyCostUsd"] = (double)row.DailyCostUsd,
            ["HourlyRequests"] = row.HourlyRequests,
            ["HourlyTokens"] = row.HourlyTokens,
            ["HourlyCostUsd"] = (double)row.HourlyCostUsd,
            [MaxInputTokens] = row.MaxInputTokens,
            [MaxOutputTokens] = row.MaxOutputTokens,
            [MaxRequestCostUsd] = (double)row.MaxRequestCostUsd,
        };
    }
}
