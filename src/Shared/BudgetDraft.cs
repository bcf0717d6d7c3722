// A budget policy as the validation rules see it: its limits, caps and thresholds, each with where it came from.
// The runtime fills one from a policy it is about to build; the analyzers fill one by replaying an [LlmBudget]
// attribute or a BudgetPolicy builder chain with the builder's own semantics (a tier first sets its limits and caps,
// later settings override earlier ones). Compiled into the runtime and the analyzers as a linked file.
using System.Collections.Generic;
using System.Linq;
using GuardedAI.Tiers;

namespace GuardedAI.Schema;

/// <summary>Where a value of a <see cref="BudgetDraft"/> came from.</summary>
internal enum ValueOrigin
{
    /// <summary>Written by the user: an attribute argument, a builder call, a built policy's value.</summary>
    Explicit,

    /// <summary>Set by applying a tier.</summary>
    Tier,

    /// <summary>A default threshold.</summary>
    Default,
}

/// <summary>One limit, cap or threshold of a <see cref="BudgetDraft"/>.</summary>
internal sealed class DraftValue
{
    private DraftValue(BudgetPropertyKind kind, ValueOrigin origin, string? tierName, object? source)
    {
        Kind = kind;
        Origin = origin;
        TierName = tierName;
        Source = source;
    }

    /// <summary><see cref="BudgetPropertyKind.Limit"/>, <see cref="BudgetPropertyKind.Cap"/> or <see cref="BudgetPropertyKind.Threshold"/>.</summary>
    public BudgetPropertyKind Kind { get; }

    /// <summary>The limited or capped dimension.</summary>
    public LimitDimension Dimension { get; private set; }

    /// <summary>The window of a limit.</summary>
    public LimitWindow Window { get; private set; }

    /// <summary>Which threshold.</summary>
    public ThresholdLevel Level { get; private set; }

    /// <summary>The amount of a limit or cap: a count, or US dollars for cost.</summary>
    public decimal Amount { get; private set; }

    /// <summary>The percent of a threshold.</summary>
    public double Percent { get; private set; }

    public ValueOrigin Origin { get; }

    /// <summary>The tier's name when <see cref="Origin"/> is <see cref="ValueOrigin.Tier"/>.</summary>
    public string? TierName { get; }

    /// <summary>What set the value, for reporting: an analyzer keeps the location of the argument or call here.</summary>
    public object? Source { get; }

    public static DraftValue Limit(LimitDimension dimension, LimitWindow window, decimal amount, ValueOrigin origin, string? tierName, object? source)
        => new(BudgetPropertyKind.Limit, origin, tierName, source) { Dimension = dimension, Window = window, Amount = amount };

    public static DraftValue Cap(LimitDimension dimension, decimal amount, ValueOrigin origin, string? tierName, object? source)
        => new(BudgetPropertyKind.Cap, origin, tierName, source) { Dimension = dimension, Amount = amount };

    public static DraftValue Threshold(ThresholdLevel level, double percent, ValueOrigin origin, object? source)
        => new(BudgetPropertyKind.Threshold, origin, null, source) { Level = level, Percent = percent };
}

/// <summary>
/// A policy under construction, with <c>BudgetPolicyBuilder</c>'s semantics. A value the caller cannot know (an
/// argument that is not a constant) is "unknown": it takes part in no rule, so the rules never guess.
/// </summary>
internal sealed class BudgetDraft
{
    private readonly Dictionary<int, DraftValue> _limits = new();
    // Keyed by int, not by the enum: a dictionary or LINQ sort over an enum key is a generic instantiation the runtime must
    // compile at start-up (every policy built at run time goes through here), one over int is already compiled.
    private readonly Dictionary<int, DraftValue> _caps = new();
    private readonly DraftValue?[] _thresholds = new DraftValue?[3];

    /// <summary>Starts with no limits, no caps and the default thresholds.</summary>
    public BudgetDraft()
    {
        foreach (ThresholdLevel level in new[] { ThresholdLevel.Warn, ThresholdLevel.Critical, ThresholdLevel.Trip })
            _thresholds[(int)level] = DraftValue.Threshold(level, BudgetSchema.DefaultPercent(level), ValueOrigin.Default, null);
    }

    /// <summary>The default model id; null when none or unknown.</summary>
    public string? Model { get; set; }

    /// <summary>The window limits, shortest window first, then by dimension (the order of a built policy's limits).</summary>
    public IReadOnlyList<DraftValue> Limits => Sorted(_limits.Values, static (a, b) => a.Window != b.Window ? ((int)a.Window).CompareTo((int)b.Window) : ((int)a.Dimension).CompareTo((int)b.Dimension));

    /// <summary>The per-request caps: input tokens, output tokens, cost.</summary>
    public IReadOnlyList<DraftValue> Caps => Sorted(_caps.Values, static (a, b) => ((int)a.Dimension).CompareTo((int)b.Dimension));

    /// <summary>Warn, critical and trip, each null when unknown.</summary>
    public IReadOnlyList<DraftValue?> Thresholds => _thresholds;

    /// <summary>True when some cost limit or the cost cap is set: then the model's price matters (GAI003).</summary>
    public bool HasCostLimit => _caps.ContainsKey((int)LimitDimension.CostUsd) || _limits.Values.Any(l => l.Dimension == LimitDimension.CostUsd);

    /// <summary>Applies tier <paramref name="tier"/> (a <c>BudgetTier</c> value) like <c>WithTier</c>; false when it is not a tier.</summary>
    public bool ApplyTier(int tier, object? source)
    {
        if (tier < 0 || tier >= TierTable.Names.Length) return false;
        var row = TierTable.Get(tier);
        if (row is null) return true;
        var name = TierTable.Names[tier];
        foreach (var value in row.Values())
        {
            var property = value.Key;
            if (property.Kind == BudgetPropertyKind.Limit)
                _limits[Key(property.Dimension, property.Window)] = DraftValue.Limit(property.Dimension, property.Window, value.Value, ValueOrigin.Tier, name, source);
            else
                _caps[(int)property.Dimension] = DraftValue.Cap(property.Dimension, value.Value, ValueOrigin.Tier, name, source);
        }

        return true;
    }

    public void SetLimit(LimitDimension dimension, LimitWindow window, decimal amount, object? source)
        => _limits[Key(dimension, window)] = DraftValue.Limit(dimension, window, amount, ValueOrigin.Explicit, null, source);

    /// <summary>Removes the limit: <c>WithoutLimit</c>, or a limit set to a value that is not known.</summary>
    public void RemoveLimit(LimitDimension dimension, LimitWindow window) => _limits.Remove(Key(dimension, window));

    /// <summary>Sets a cap; null clears it, as <c>WithMaxInputTokens(null)</c> does.</summary>
    public void SetCap(LimitDimension dimension, decimal? amount, object? source)
    {
        if (amount is { } value) _caps[(int)dimension] = DraftValue.Cap(dimension, value, ValueOrigin.Explicit, null, source);
        else _caps.Remove((int)dimension);
    }

    /// <summary>Forgets a cap whose value is not known.</summary>
    public void RemoveCap(LimitDimension dimension) => _caps.Remove((int)dimension);

    /// <summary>The values in the order <paramref name="comparison"/> gives (keys are distinct, so the order is total).</summary>
    private static List<DraftValue> Sorted(IEnumerable<DraftValue> values, System.Comparison<DraftValue> comparison)
    {
        var list = new List<DraftValue>(values);
        list.Sort(comparison);
        return list;
    }

    /// <summary>Sets a threshold (a null keeps it, as in <c>WithThresholds</c>).</summary>
    public void SetThreshold(ThresholdLevel level, double? percent, object? source)
    {
        if (percent is { } value) _thresholds[(int)level] = DraftValue.Threshold(level, value, ValueOrigin.Explicit, source);
    }

    /// <summary>Marks a threshold as not known.</summary>
    public void ForgetThreshold(ThresholdLevel level) => _thresholds[(int)level] = null;

    private static int Key(LimitDimension dimension, LimitWindow window) => ((int)window * 16) + (int)dimension;
}
