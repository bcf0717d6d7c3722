using System.Collections.Generic;

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
        [WarnAtPercent] = 70,
        [CriticalAtPercent] = 90,
        [TripAtPercent] = 95,
    };

    /// <summary>The tiers' defaults, the same numbers as the runtime's BudgetTierDefaults (enum order: Custom, Free, Economy, Standard, Premium).</summary>
    public static readonly string[] TierNames = { "Custom", "Free", "Economy", "Standard", "Premium" };

    public static Dictionary<string, double> TierDefaults(int tier) => tier switch
    {
        1 => Defaults(50, 25_000, 0.25, 10, 5_000, 0.05, 2_000, 1_000, 0.02),
        2 => Defaults(100, 50_000, 0.50, 20, 10_000, 0.10, 4_000, 2_000, 0.05),
        3 => Defaults(300, 150_000, 2.00, 50, 30_000, 0.35, 8_000, 4_000, 0.15),
        4 => Defaults(500, 300_000, 5.00, 100, 60_000, 0.75, 16_000, 8_000, 0.30),
        _ => new Dictionary<string, double>(),
    };

    private static Dictionary<string, double> Defaults(
        double dailyRequests, double dailyTokens, double dailyCost, double hourlyRequests, double hourlyTokens, double hourlyCost,
        double maxInput, double maxOutput, double maxCost) => new()
    {
        ["DailyRequests"] = dailyRequests,
        ["DailyTokens"] = dailyTokens,
        ["DailyCostUsd"] = dailyCost,
        ["HourlyRequests"] = hourlyRequests,
        ["HourlyTokens"] = hourlyTokens,
        ["HourlyCostUsd"] = hourlyCost,
        [MaxInputTokens] = maxInput,
        [MaxOutputTokens] = maxOutput,
        [MaxRequestCostUsd] = maxCost,
    };
}
