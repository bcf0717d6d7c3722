// The rules every budget must satisfy, in one place: the runtime's BudgetPolicyValidator throws the first problem
// when a policy is built, GAI002 reports every problem of an [LlmBudget] attribute or a constant BudgetPolicy builder
// chain at build time, with the same words. Compiled into the runtime and the analyzers as a linked file.
using System.Collections.Generic;
using System.Globalization;

namespace GuardedAI.Schema;

/// <summary>One broken rule.</summary>
internal sealed class BudgetProblem
{
    public BudgetProblem(string message, DraftValue subject, DraftValue? other = null)
    {
        Message = message;
        Subject = subject;
        Other = other;
    }

    /// <summary>What is wrong, as a clause: "the hourly requests limit (600) is above …" (no final period).</summary>
    public string Message { get; }

    /// <summary>The value the message is about.</summary>
    public DraftValue Subject { get; }

    /// <summary>The value it is compared with, if any.</summary>
    public DraftValue? Other { get; }

    /// <summary>
    /// The value to report the problem on: the subject when the user wrote it, else the other value when the user
    /// wrote that; null when both came from a tier or a default (those are never at fault on their own).
    /// </summary>
    public DraftValue? Blame =>
        Subject.Origin == ValueOrigin.Explicit ? Subject : Other is { Origin: ValueOrigin.Explicit } ? Other : null;
}

internal static class BudgetRules
{
    public const string ThresholdRule = "thresholds must satisfy 0 < warn < critical <= trip <= 100";

    // decimal.MaxValue is about 7.9e28: a larger double has no decimal amount.
    private const double MaxDecimal = 7.9e28;

    /// <summary>Every problem of <paramref name="draft"/>, in a fixed order. A value that breaks a rule of its own takes part in no comparison.</summary>
    public static List<BudgetProblem> Check(BudgetDraft draft)
    {
        var problems = new List<BudgetProblem>();
        var limits = new List<DraftValue>();
        foreach (var limit in draft.Limits)
        {
            if (!(limit.Amount > 0))
                problems.Add(new BudgetProblem($"{BudgetText.Label(limit)} must be positive, but is {BudgetText.Value(limit)}", limit));
            else if (limit.Dimension != LimitDimension.CostUsd && limit.Amount != decimal.Truncate(limit.Amount))
                problems.Add(new BudgetProblem($"{BudgetText.Label(limit)} must be a whole number, but is {BudgetText.Value(limit)}", limit));
            else
                limits.Add(limit);
        }

        var caps = new List<DraftValue>();
        foreach (var cap in draft.Caps)
        {
            if (!(cap.Amount > 0))
                problems.Add(new BudgetProblem($"{BudgetText.Label(cap)} must be positive, but is {BudgetText.Value(cap)}", cap));
            else
                caps.Add(cap);
        }

        var thresholds = new DraftValue?[3];
        foreach (var threshold in draft.Thresholds)
        {
            if (threshold is null) continue;
            if (double.IsNaN(threshold.Percent) || double.IsInfinity(threshold.Percent))
                problems.Add(new BudgetProblem($"{BudgetText.Label(threshold)} must be a finite number, but is {BudgetText.Value(threshold)}", threshold));
            else if (!(threshold.Percent > 0))
                problems.Add(new BudgetProblem($"{BudgetText.Label(threshold)} must be positive, but is {BudgetText.Value(threshold)}", threshold));
            else
                thresholds[(int)threshold.Level] = threshold;
        }

        CheckCaps(caps, limits, problems);
        CheckWindows(limits, problems);
        CheckThresholds(thresholds[(int)ThresholdLevel.Warn], thresholds[(int)ThresholdLevel.Critical], thresholds[(int)ThresholdLevel.Trip], problems);
        return problems;
    }

    /// <summary>"Tier (7) is not a BudgetTier".</summary>
    public static string NotATier(int value) => string.Format(CultureInfo.InvariantCulture, "Tier ({0}) is not a BudgetTier", value);

    /// <summary>
    /// The decimal amount of an attribute's double (cost properties are doubles: attributes cannot hold decimals);
    /// false with a message when it has none (NaN, infinity, beyond ±7.9e28).
    /// </summary>
    public static bool TryToAmount(BudgetProperty property, double value, out decimal amount, out string? problem)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value >= MaxDecimal || value <= -MaxDecimal)
        {
            amount = 0;
            problem = $"{BudgetText.Label(property)} must be a finite number of at most 7.9E+28, but is {BudgetText.Percent(value)}";
            return false;
        }

        amount = (decimal)value;
        problem = null;
        return true;
    }

    /// <summary>A per-request cap above a window limit of its dimension: that request would always be denied.</summary>
    private static void CheckCaps(List<DraftValue> caps, List<DraftValue> limits, List<BudgetProblem> problems)
    {
        foreach (var cap in caps)
        {
            foreach (var limit in limits)
            {
                var binds = limit.Dimension == cap.Dimension ||
                    (limit.Dimension == LimitDimension.TotalTokens && cap.Dimension is LimitDimension.InputTokens or LimitDimension.OutputTokens);
                if (!binds || cap.Amount <= limit.Amount) continue;
                var why = cap.Dimension == LimitDimension.CostUsd ? "a request that costly would always be denied" : "a request that large would always be denied";
                problems.Add(Above(cap, limit, why));
            }
        }
    }

    /// <summary>For one dimension, a shorter window's limit above a longer window's never binds: almost always a typo.</summary>
    private static void CheckWindows(List<DraftValue> limits, List<BudgetProblem> problems)
    {
        foreach (var shorter in limits)
        {
            foreach (var longer in limits)
            {
                // Conversations and runs are scopes, not periods: they do not nest in the calendar windows.
                if (shorter.Dimension == longer.Dimension && shorter.Window < longer.Window && longer.Window <= LimitWindow.Month && shorter.Amount > longer.Amount)
                    problems.Add(Above(shorter, longer, "a shorter window's limit must not exceed a longer window's"));
            }
        }
    }

    /// <summary>0 &lt; warn &lt; critical &lt;= trip &lt;= 100 (each already known to be positive and finite).</summary>
    private static void CheckThresholds(DraftValue? warn, DraftValue? critical, DraftValue? trip, List<BudgetProblem> problems)
    {
        if (warn is not null && critical is not null && warn.Percent >= critical.Percent)
            problems.Add(new BudgetProblem($"{Show(warn)} is not below {Show(critical)}; {ThresholdRule}", warn, critical));
        if (critical is not null && trip is not null && critical.Percent > trip.Percent)
            problems.Add(new BudgetProblem($"{Show(critical)} is above {Show(trip)}; {ThresholdRule}", critical, trip));
        if (trip is not null && trip.Percent > 100)
            problems.Add(new BudgetProblem($"{Show(trip)} is above 100; {ThresholdRule}", trip));
    }

    private static BudgetProblem Above(DraftValue larger, DraftValue smaller, string why)
        => new($"{Show(larger)} is above {Show(smaller)}; {why}", larger, smaller);

    private static string Show(DraftValue value) => $"{BudgetText.Label(value)} ({BudgetText.ValueAndOrigin(value)})";
}
