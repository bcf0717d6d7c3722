// The one description of the [LlmBudget] attribute's properties: name, CLR type, kind, and what each one limits.
// Compiled into the runtime (src/Runtime), the generator (src/Generator) and the analyzers (src/Analyzers) as a linked
// file, so the attribute, the code the generator emits, GAI002/GAI003 and the runtime's validation read one table.
// A test reflects over the runtime's LlmBudgetAttribute and fails when it has a property this table lacks.
// Keep it Roslyn-free and netstandard2.0-compatible: it is source in three assemblies, not a shared library.
using System;
using System.Collections.Generic;

namespace GuardedAI.Schema;

/// <summary>What an <c>[LlmBudget]</c> property sets.</summary>
internal enum BudgetPropertyKind
{
    /// <summary>The budget (scope) name: the constructor argument.</summary>
    Name,

    /// <summary>The default model id.</summary>
    Model,

    /// <summary>A <c>BudgetTier</c> whose limits and caps apply first.</summary>
    Tier,

    /// <summary>A window limit: at most an amount of a dimension per calendar window.</summary>
    Limit,

    /// <summary>A per-request cap.</summary>
    Cap,

    /// <summary>An alert or trip threshold, in percent of a limit.</summary>
    Threshold,

    /// <summary>The <c>EnforcementMode</c>: enforced, or evaluated in shadow without denying.</summary>
    Mode,
}

/// <summary>The CLR type of an <c>[LlmBudget]</c> property (attribute arguments cannot be <c>decimal</c>).</summary>
internal enum BudgetValueType
{
    String,
    Tier,
    Int32,
    Int64,
    Double,
    Mode,
}

/// <summary>The runtime's <c>GuardedAI.BudgetDimension</c>, member for member and value for value (a test checks it).</summary>
internal enum LimitDimension
{
    Requests = 0,
    InputTokens = 1,
    OutputTokens = 2,
    TotalTokens = 3,
    CostUsd = 4,
    Turns = 5,
}

/// <summary>The runtime's <c>GuardedAI.BudgetWindow</c>, member for member and value for value (a test checks it).</summary>
internal enum LimitWindow
{
    Minute = 0,
    Hour = 1,
    Day = 2,
    Month = 3,
    Conversation = 4,
    Run = 5,
}

/// <summary>The three thresholds of a policy.</summary>
internal enum ThresholdLevel
{
    Warn,
    Critical,
    Trip,
}

/// <summary>One property of <c>[LlmBudget]</c> and how it maps onto <c>BudgetPolicyBuilder</c>.</summary>
internal sealed class BudgetProperty
{
    private BudgetProperty(string name, BudgetPropertyKind kind, BudgetValueType type, string builderMethod)
    {
        Name = name;
        Kind = kind;
        Type = type;
        BuilderMethod = builderMethod;
    }

    /// <summary>The attribute property's name (also the configuration key of a budget).</summary>
    public string Name { get; }

    public BudgetPropertyKind Kind { get; }

    public BudgetValueType Type { get; }

    /// <summary>The <c>BudgetPolicyBuilder</c> method (or <c>BudgetPolicy</c> factory) that applies this setting.</summary>
    public string BuilderMethod { get; }

    /// <summary>For <see cref="BudgetPropertyKind.Limit"/>, the limited dimension; for <see cref="BudgetPropertyKind.Cap"/>, the capped one.</summary>
    public LimitDimension Dimension { get; private set; }

    /// <summary>For <see cref="BudgetPropertyKind.Limit"/>, the window.</summary>
    public LimitWindow Window { get; private set; }

    /// <summary>For <see cref="BudgetPropertyKind.Threshold"/>, which one.</summary>
    public ThresholdLevel Level { get; private set; }

    /// <summary>For <see cref="BudgetPropertyKind.Threshold"/>, the parameter of <c>WithThresholds</c> that sets it.</summary>
    public string? BuilderParameter { get; private set; }

    /// <summary>The metadata name of the property's CLR type.</summary>
    public string ClrTypeName => Type switch
    {
        BudgetValueType.String => "System.String",
        BudgetValueType.Tier => RuntimeTypeNames.BudgetTier,
        BudgetValueType.Int32 => "System.Int32",
        BudgetValueType.Int64 => "System.Int64",
        BudgetValueType.Mode => RuntimeTypeNames.EnforcementMode,
        _ => "System.Double",
    };

    internal static BudgetProperty Setting(string name, BudgetPropertyKind kind, BudgetValueType type, string builderMethod)
        => new(name, kind, type, builderMethod);

    internal static BudgetProperty Limit(string name, BudgetValueType type, LimitDimension dimension, LimitWindow window)
        => new(name, BudgetPropertyKind.Limit, type, "WithLimit") { Dimension = dimension, Window = window };

    internal static BudgetProperty Cap(string name, BudgetValueType type, LimitDimension dimension)
        => new(name, BudgetPropertyKind.Cap, type, "With" + name) { Dimension = dimension };

    internal static BudgetProperty Threshold(string name, ThresholdLevel level, string parameter)
        => new(name, BudgetPropertyKind.Threshold, BudgetValueType.Double, "WithThresholds") { Level = level, BuilderParameter = parameter };

    public override string ToString() => Name;
}

/// <summary>Every property of <c>[LlmBudget]</c>, in declaration order (which is also the order the generator emits them in).</summary>
internal static class BudgetSchema
{
    public static readonly BudgetProperty Name = BudgetProperty.Setting("Name", BudgetPropertyKind.Name, BudgetValueType.String, "Create");
    public static readonly BudgetProperty Model = BudgetProperty.Setting("Model", BudgetPropertyKind.Model, BudgetValueType.String, "ForModel");
    public static readonly BudgetProperty Tier = BudgetProperty.Setting("Tier", BudgetPropertyKind.Tier, BudgetValueType.Tier, "WithTier");

    public static readonly BudgetProperty RequestsPerMinute = BudgetProperty.Limit("RequestsPerMinute", BudgetValueType.Int32, LimitDimension.Requests, LimitWindow.Minute);
    public static readonly BudgetProperty TokensPerMinute = BudgetProperty.Limit("TokensPerMinute", BudgetValueType.Int64, LimitDimension.TotalTokens, LimitWindow.Minute);
    public static readonly BudgetProperty HourlyRequests = BudgetProperty.Limit("HourlyRequests", BudgetValueType.Int32, LimitDimension.Requests, LimitWindow.Hour);
    public static readonly BudgetProperty HourlyTokens = BudgetProperty.Limit("HourlyTokens", BudgetValueType.Int64, LimitDimension.TotalTokens, LimitWindow.Hour);
    public static readonly BudgetProperty HourlyCostUsd = BudgetProperty.Limit("HourlyCostUsd", BudgetValueType.Double, LimitDimension.CostUsd, LimitWindow.Hour);
    public static readonly BudgetProperty DailyRequests = BudgetProperty.Limit("DailyRequests", BudgetValueType.Int32, LimitDimension.Requests, LimitWindow.Day);
    public static readonly BudgetProperty DailyTokens = BudgetProperty.Limit("DailyTokens", BudgetValueType.Int64, LimitDimension.TotalTokens, LimitWindow.Day);
    public static readonly BudgetProperty DailyCostUsd = BudgetProperty.Limit("DailyCostUsd", BudgetValueType.Double, LimitDimension.CostUsd, LimitWindow.Day);
    public static readonly BudgetProperty MonthlyRequests = BudgetProperty.Limit("MonthlyRequests", BudgetValueType.Int32, LimitDimension.Requests, LimitWindow.Month);
    public static readonly BudgetProperty MonthlyTokens = BudgetProperty.Limit("MonthlyTokens", BudgetValueType.Int64, LimitDimension.TotalTokens, LimitWindow.Month);
    public static readonly BudgetProperty MonthlyCostUsd = BudgetProperty.Limit("MonthlyCostUsd", BudgetValueType.Double, LimitDimension.CostUsd, LimitWindow.Month);

    public static readonly BudgetProperty ConversationRequests = BudgetProperty.Limit("ConversationRequests", BudgetValueType.Int32, LimitDimension.Requests, LimitWindow.Conversation);
    public static readonly BudgetProperty ConversationTokens = BudgetProperty.Limit("ConversationTokens", BudgetValueType.Int64, LimitDimension.TotalTokens, LimitWindow.Conversation);
    public static readonly BudgetProperty ConversationCostUsd = BudgetProperty.Limit("ConversationCostUsd", BudgetValueType.Double, LimitDimension.CostUsd, LimitWindow.Conversation);
    public static readonly BudgetProperty ConversationTurns = BudgetProperty.Limit("ConversationTurns", BudgetValueType.Int64, LimitDimension.Turns, LimitWindow.Conversation);
    public static readonly BudgetProperty RunRequests = BudgetProperty.Limit("RunRequests", BudgetValueType.Int32, LimitDimension.Requests, LimitWindow.Run);
    public static readonly BudgetProperty RunTokens = BudgetProperty.Limit("RunTokens", BudgetValueType.Int64, LimitDimension.TotalTokens, LimitWindow.Run);
    public static readonly BudgetProperty RunCostUsd = BudgetProperty.Limit("RunCostUsd", BudgetValueType.Double, LimitDimension.CostUsd, LimitWindow.Run);

    public static readonly BudgetProperty MaxInputTokens = BudgetProperty.Cap("MaxInputTokens", BudgetValueType.Int32, LimitDimension.InputTokens);
    public static readonly BudgetProperty MaxOutputTokens = BudgetProperty.Cap("MaxOutputTokens", BudgetValueType.Int32, LimitDimension.OutputTokens);
    public static readonly BudgetProperty MaxRequestCostUsd = BudgetProperty.Cap("MaxRequestCostUsd", BudgetValueType.Double, LimitDimension.CostUsd);

    public static readonly BudgetProperty WarnAtPercent = BudgetProperty.Threshold("WarnAtPercent", ThresholdLevel.Warn, "warnAtPercent");
    public static readonly BudgetProperty CriticalAtPercent = BudgetProperty.Threshold("CriticalAtPercent", ThresholdLevel.Critical, "criticalAtPercent");
    public static readonly BudgetProperty TripAtPercent = BudgetProperty.Threshold("TripAtPercent", ThresholdLevel.Trip, "tripAtPercent");

    public static readonly BudgetProperty Mode = BudgetProperty.Setting("Mode", BudgetPropertyKind.Mode, BudgetValueType.Mode, "WithMode");

    /// <summary>The names of the runtime's <c>EnforcementMode</c> members, by value.</summary>
    public static readonly string[] ModeNames = { "Enforce", "Shadow" };

    /// <summary>Every property, in declaration order.</summary>
    public static readonly BudgetProperty[] All =
    {
        Name, Model, Tier,
        RequestsPerMinute, TokensPerMinute,
        HourlyRequests, HourlyTokens, HourlyCostUsd,
        DailyRequests, DailyTokens, DailyCostUsd,
        MonthlyRequests, MonthlyTokens, MonthlyCostUsd,
        ConversationRequests, ConversationTokens, ConversationCostUsd, ConversationTurns,
        RunRequests, RunTokens, RunCostUsd,
        MaxInputTokens, MaxOutputTokens, MaxRequestCostUsd,
        WarnAtPercent, CriticalAtPercent, TripAtPercent,
        Mode,
    };

    private static readonly Dictionary<string, BudgetProperty> s_byName = CreateIndex();

    /// <summary>The property named <paramref name="name"/> (case-sensitive, as C# is), or null.</summary>
    public static BudgetProperty? Find(string name) => s_byName.TryGetValue(name, out var property) ? property : null;

    /// <summary>The limit property for (<paramref name="dimension"/>, <paramref name="window"/>), or null when the attribute has none.</summary>
    public static BudgetProperty? FindLimit(LimitDimension dimension, LimitWindow window)
    {
        foreach (var property in All)
        {
            if (property.Kind == BudgetPropertyKind.Limit && property.Dimension == dimension && property.Window == window) return property;
        }

        return null;
    }

    /// <summary>The cap property of <paramref name="dimension"/> (input tokens, output tokens or cost), or null.</summary>
    public static BudgetProperty? FindCap(LimitDimension dimension)
    {
        foreach (var property in All)
        {
            if (property.Kind == BudgetPropertyKind.Cap && property.Dimension == dimension) return property;
        }

        return null;
    }

    /// <summary>The threshold property of <paramref name="level"/>.</summary>
    public static BudgetProperty Threshold(ThresholdLevel level) => level switch
    {
        ThresholdLevel.Warn => WarnAtPercent,
        ThresholdLevel.Critical => CriticalAtPercent,
        _ => TripAtPercent,
    };

    /// <summary>The default percent of a threshold (70 / 90 / 95, from src/Shared/TierTable.cs).</summary>
    public static double DefaultPercent(ThresholdLevel level) => level switch
    {
        ThresholdLevel.Warn => Tiers.TierTable.DefaultWarnAtPercent,
        ThresholdLevel.Critical => Tiers.TierTable.DefaultCriticalAtPercent,
        _ => Tiers.TierTable.DefaultTripAtPercent,
    };

    private static Dictionary<string, BudgetProperty> CreateIndex()
    {
        var index = new Dictionary<string, BudgetProperty>(StringComparer.Ordinal);
        foreach (var property in All) index.Add(property.Name, property);
        return index;
    }
}
