using System.Globalization;

namespace GuardedAI;

/// <summary>Words and number formats for dimensions and windows, used in messages people read.</summary>
public static class BudgetNames
{
    /// <summary>"requests", "input tokens", …</summary>
    public static string Describe(this BudgetDimension dimension) => dimension switch
    {
        BudgetDimension.Requests => "requests",
        BudgetDimension.InputTokens => "input tokens",
        BudgetDimension.OutputTokens => "output tokens",
        BudgetDimension.TotalTokens => "tokens",
        BudgetDimension.CostUsd => "cost",
        BudgetDimension.Turns => "turns",
        _ => dimension.ToString(),
    };

    /// <summary>"per-minute", "hourly", "daily", "monthly", "per-conversation", "per-run".</summary>
    public static string Describe(this BudgetWindow window) => window switch
    {
        BudgetWindow.Minute => "per-minute",
        BudgetWindow.Hour => "hourly",
        BudgetWindow.Day => "daily",
        BudgetWindow.Month => "monthly",
        BudgetWindow.Conversation => "per-conversation",
        BudgetWindow.Run => "per-run",
        _ => window.ToString(),
    };

    /// <summary>Whether <paramref name="window"/> is a scope (a conversation or a run) rather than a calendar period.</summary>
    public static bool IsScope(this BudgetWindow window) => window is BudgetWindow.Conversation or BudgetWindow.Run;

    /// <summary>An amount of <paramref name="dimension"/>: "$0.2500" for cost, "25,000" otherwise.</summary>
    public static string Format(this BudgetDimension dimension, decimal amount) => dimension == BudgetDimension.CostUsd
        ? "$" + amount.ToString("0.0000##", CultureInfo.InvariantCulture)
        : amount.ToString("#,0", CultureInfo.InvariantCulture);
}
