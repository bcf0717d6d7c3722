// Words and number formats of budget validation messages, shared by the runtime's BudgetPolicyException and the
// analyzers' GAI002 so that both say the same thing in the same words. Compiled into the runtime and the analyzers.
using System;
using System.Globalization;

namespace GuardedAI.Schema;

internal static class BudgetText
{
    /// <summary>"requests", "input tokens", "output tokens", "tokens", "cost" (the runtime's <c>BudgetNames.Describe</c>; a test keeps them equal).</summary>
    public static string Describe(LimitDimension dimension) => dimension switch
    {
        LimitDimension.Requests => "requests",
        LimitDimension.InputTokens => "input tokens",
        LimitDimension.OutputTokens => "output tokens",
        LimitDimension.TotalTokens => "tokens",
        LimitDimension.CostUsd => "cost",
        LimitDimension.Turns => "turns",
        _ => ((int)dimension).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>"per-minute", "hourly", "daily", "monthly", "per-conversation", "per-run".</summary>
    public static string Describe(LimitWindow window) => window switch
    {
        LimitWindow.Minute => "per-minute",
        LimitWindow.Hour => "hourly",
        LimitWindow.Day => "daily",
        LimitWindow.Month => "monthly",
        LimitWindow.Conversation => "per-conversation",
        LimitWindow.Run => "per-run",
        _ => ((int)window).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>What a message calls a value: "the hourly requests limit"; a cap or threshold by its property name.</summary>
    public static string Label(DraftValue value) => value.Kind switch
    {
        BudgetPropertyKind.Limit => LimitLabel(value.Dimension, value.Window),
        BudgetPropertyKind.Cap => BudgetSchema.FindCap(value.Dimension)?.Name ?? value.Dimension.ToString(),
        _ => BudgetSchema.Threshold(value.Level).Name,
    };

    /// <summary>What a message calls an attribute property.</summary>
    public static string Label(BudgetProperty property)
        => property.Kind == BudgetPropertyKind.Limit ? LimitLabel(property.Dimension, property.Window) : property.Name;

    public static string LimitLabel(LimitDimension dimension, LimitWindow window) => $"the {Describe(window)} {Describe(dimension)} limit";

    /// <summary>The value as shown in a message: "9,000", "$0.0500", "95".</summary>
    public static string Value(DraftValue value)
        => value.Kind == BudgetPropertyKind.Threshold ? Percent(value.Percent) : Amount(value.Dimension, value.Amount);

    /// <summary>The value with where it came from: "300 from the Standard tier", "90 by default", "5,000".</summary>
    public static string ValueAndOrigin(DraftValue value) => Value(value) + value.Origin switch
    {
        ValueOrigin.Tier => $" from the {value.TierName} tier",
        ValueOrigin.Default => " by default",
        _ => string.Empty,
    };

    /// <summary>"$0.2500" for cost (sign first: "-$1.5000"), "25,000" or "2.5" for counts.</summary>
    public static string Amount(LimitDimension dimension, decimal amount)
    {
        if (dimension != LimitDimension.CostUsd) return amount.ToString("#,0.##########", CultureInfo.InvariantCulture);
        var dollars = "$" + Math.Abs(amount).ToString("#,0.0000######", CultureInfo.InvariantCulture);
        return amount < 0 ? "-" + dollars : dollars;
    }

    /// <summary>A percent or any other double: "95", "12.5", "NaN", "Infinity".</summary>
    public static string Percent(double value) => value.ToString("#,0.####", CultureInfo.InvariantCulture);
}
