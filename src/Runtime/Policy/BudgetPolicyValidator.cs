using System.Collections.Immutable;

namespace GuardedAI;

/// <summary>The rules a policy must satisfy; the same rules GAI002 checks at build time.</summary>
internal static class BudgetPolicyValidator
{
    public static void Validate(
        string name, ImmutableArray<BudgetLimit> limits, int? maxInput, int? maxOutput, decimal? maxCost,
        BudgetThresholds thresholds, BreakerSettings breaker)
    {
        foreach (var limit in limits)
        {
            if (limit.Amount <= 0)
                throw new BudgetPolicyException(name, $"the {limit.Window.Describe()} {limit.Dimension.Describe()} limit must be positive, but is {limit.Dimension.Format(limit.Amount)}");
            if (limit.Dimension != BudgetDimension.CostUsd && limit.Amount != decimal.Truncate(limit.Amount))
                throw new BudgetPolicyException(name, $"the {limit.Window.Describe()} {limit.Dimension.Describe()} limit must be a whole number, but is {limit.Amount}");
        }

        if (maxInput is <= 0) throw new BudgetPolicyException(name, $"MaxInputTokens must be positive, but is {maxInput}");
        if (maxOutput is <= 0) throw new BudgetPolicyException(name, $"MaxOutputTokens must be positive, but is {maxOutput}");
        if (maxCost is <= 0) throw new BudgetPolicyException(name, $"MaxRequestCostUsd must be positive, but is {maxCost}");

        // A per-request cap above a window limit can never be used: the request would always be denied.
        foreach (var limit in limits)
        {
            CheckCap(name, limit, "MaxInputTokens", maxInput, BudgetDimension.InputTokens, BudgetDimension.TotalTokens);
            CheckCap(name, limit, "MaxOutputTokens", maxOutput, BudgetDimension.OutputTokens, BudgetDimension.TotalTokens);
            if (limit.Dimension == BudgetDimension.CostUsd && maxCost > limit.Amount)
                throw new BudgetPolicyException(name, $"MaxRequestCostUsd ({maxCost}) is above the {limit.Window.Describe()} cost limit ({limit.Amount})");
        }

        // A shorter window's limit above a longer window's for the same dimension is a typo: the shorter one never binds.
        foreach (var shorter in limits)
        {
            foreach (var longer in limits)
            {
                if (shorter.Dimension == longer.Dimension && shorter.Window < longer.Window && shorter.Amount > longer.Amount)
                {
                    throw new BudgetPolicyException(name,
                        $"the {shorter.Window.Describe()} {shorter.Dimension.Describe()} limit ({shorter.Dimension.Format(shorter.Amount)}) is above the {longer.Window.Describe()} limit ({longer.Dimension.Format(longer.Amount)})");
                }
            }
        }

        thresholds.Validate(name, limits);
        if (breaker.ConsecutiveFailuresToOpen < 0) throw new BudgetPolicyException(name, $"ConsecutiveFailuresToOpen must not be negative, but is {breaker.ConsecutiveFailuresToOpen}");
        if (breaker.FailureOpenDuration <= TimeSpan.Zero) throw new BudgetPolicyException(name, $"FailureOpenDuration must be positive, but is {breaker.FailureOpenDuration}");
    }

    private static void CheckCap(string name, BudgetLimit limit, string capName, int? cap, BudgetDimension a, BudgetDimension b)
    {
        if (cap is { } value && (limit.Dimension == a || limit.Dimension == b) && value > limit.Amount)
            throw new BudgetPolicyException(name, $"{capName} ({value}) is above the {limit.Window.Describe()} {limit.Dimension.Describe()} limit ({limit.Amount})");
    }
}
