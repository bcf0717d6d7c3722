using System.Collections.Immutable;
using GuardedAI.Schema;
using SchemaThreshold = GuardedAI.Schema.ThresholdLevel;

namespace GuardedAI;

/// <summary>
/// The rules a policy must satisfy. They live in src/Shared/BudgetRules.cs, which the analyzers compile too: GAI002
/// reports at build time, in the same words, every problem this throws for at run time.
/// </summary>
internal static class BudgetPolicyValidator
{
    public static void Validate(
        string name, ImmutableArray<BudgetLimit> limits, int? maxInput, int? maxOutput, decimal? maxCost,
        BudgetThresholds thresholds, BreakerSettings breaker)
    {
        var draft = new BudgetDraft();
        // Indexed, not foreach: ImmutableArray's enumerator is compiled just in time on a process's first call (see Charges.Count).
        for (var l = 0; l < limits.Length; l++) draft.SetLimit((LimitDimension)limits[l].Dimension, (LimitWindow)limits[l].Window, limits[l].Amount, null);
        draft.SetCap(LimitDimension.InputTokens, maxInput, null);
        draft.SetCap(LimitDimension.OutputTokens, maxOutput, null);
        draft.SetCap(LimitDimension.CostUsd, maxCost, null);
        draft.SetThreshold(SchemaThreshold.Warn, thresholds.WarnAtPercent, null);
        draft.SetThreshold(SchemaThreshold.Critical, thresholds.CriticalAtPercent, null);
        draft.SetThreshold(SchemaThreshold.Trip, thresholds.TripAtPercent, null);

        var problems = BudgetRules.Check(draft);
        if (problems.Count > 0) throw new BudgetPolicyException(name, problems[0].Message);

        // The extra alert levels and soft limits are checked by the thresholds themselves (the shared rules cover warn, critical, trip).
        thresholds.Validate(name, limits);
        if (breaker.ConsecutiveFailuresToOpen < 0) throw new BudgetPolicyException(name, $"ConsecutiveFailuresToOpen must not be negative, but is {breaker.ConsecutiveFailuresToOpen}");
        if (breaker.FailureOpenDuration <= TimeSpan.Zero) throw new BudgetPolicyException(name, $"FailureOpenDuration must be positive, but is {breaker.FailureOpenDuration}");
    }
}
