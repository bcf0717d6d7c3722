using System.Globalization;

namespace GuardedAI.Engine;

/// <summary>The denials the engine gives, each with a sentence that names the limit, the usage and when to retry.</summary>
internal static class Denials
{
    /// <summary>The first per-request cap of <paramref name="policy"/> the estimate is above, or null.</summary>
    public static BudgetDenial? CheckCaps(BudgetPolicy policy, in UsageEstimate estimate)
    {
        if (policy.MaxInputTokens is { } maxInput && estimate.InputTokens > maxInput)
        {
            // Counting stops just past the cap, so a count of cap + 1 only says "more than the cap".
            var size = estimate.InputTokens > maxInput + 1L
                ? Invariant($"{estimate.InputTokens:#,0} tokens")
                : Invariant($"more than {maxInput:#,0} tokens");
            return new BudgetDenial(DenialKind.RequestCap, policy.Name, BudgetDimension.InputTokens, null, 0, maxInput, estimate.InputTokens, null,
                Invariant($"Budget '{policy.Name}' denied the call: the prompt has {size}, above the per-request cap of {maxInput:#,0} input tokens. Shorten the prompt; retrying will not help."));
        }
        if (policy.MaxOutputTokens is { } maxOutput && estimate.OutputTokens > maxOutput)
        {
            return new BudgetDenial(DenialKind.RequestCap, policy.Name, BudgetDimension.OutputTokens, null, 0, maxOutput, estimate.OutputTokens, null,
                Invariant($"Budget '{policy.Name}' denied the call: it asks for up to {estimate.OutputTokens:#,0} output tokens, above the per-request cap of {maxOutput:#,0}."));
        }
        if (policy.MaxRequestCostUsd is { } maxCost && estimate.CostUsd > maxCost)
        {
            return new BudgetDenial(DenialKind.RequestCap, policy.Name, BudgetDimension.CostUsd, null, 0, maxCost, estimate.CostUsd, null,
                Invariant($"Budget '{policy.Name}' denied the call: it could cost up to {BudgetDimension.CostUsd.Format(estimate.CostUsd)} ({estimate.InputTokens:#,0} input + {estimate.OutputTokens:#,0} output tokens of {estimate.Model ?? "the default model"}), above the per-request cap of {BudgetDimension.CostUsd.Format(maxCost)}. Lower MaxOutputTokens or shorten the prompt."));
        }
        return null;
    }

    public static BudgetDenial PromptTooLarge(string scope, long characters, long maxCharacters) =>
        new(DenialKind.RequestCap, scope, BudgetDimension.InputTokens, null, 0, maxCharacters, characters, null,
            Invariant($"Budget '{scope}' denied the call: the prompt has {characters:#,0} characters, above the limit of {maxCharacters:#,0} characters GuardedAI will count. Shorten the prompt."));

    /// <param name="charge">The charge that did not fit.</param>
    /// <param name="usedUnits">Its counter's value when checked.</param>
    /// <param name="estimate">What the call asked for.</param>
    /// <param name="now">When.</param>
    /// <param name="policyLimit">The limit as the policy states it, when the charge's limit is lower (a run's headroom held back).</param>
    public static BudgetDenial WindowLimit(in CounterCharge charge, long usedUnits, in UsageEstimate estimate, DateTimeOffset now, decimal? policyLimit = null)
    {
        var dimension = charge.Key.Dimension;
        var used = BudgetUnits.FromUnits(dimension, usedUnits);
        var limit = policyLimit ?? BudgetUnits.FromUnits(dimension, charge.Limit);
        var heldBack = limit - BudgetUnits.FromUnits(dimension, charge.Limit);
        var requested = estimate.Amounts.Amount(dimension);
        if (charge.Key.Window.IsScope())
        {
            // Waiting does not help a conversation or run that spent its budget: only a new one does.
            var what = charge.Key.Window == BudgetWindow.Run ? "run" : "conversation";
            return new BudgetDenial(DenialKind.WindowLimit, charge.Key.Scope, dimension, charge.Key.Window, used, limit, requested, null,
                Invariant($"Budget '{charge.Key.Scope}' denied the call: the {charge.Key.Window.Describe()} {dimension.Describe()} limit is {dimension.Format(limit)}{(heldBack > 0 ? Invariant($" ({dimension.Format(heldBack)} of it kept for a final answer)") : "")}, {dimension.Format(used)} is used and this call needs {dimension.Format(requested)}. This {what} cannot go on within its budget; start a new one."));
        }
        var retryAfter = charge.WindowEnd - now;
        return new BudgetDenial(DenialKind.WindowLimit, charge.Key.Scope, dimension, charge.Key.Window, used, limit, requested, retryAfter,
            Invariant($"Budget '{charge.Key.Scope}' denied the call: the {charge.Key.Window.Describe()} {dimension.Describe()} limit is {dimension.Format(limit)}, {dimension.Format(used)} is used and this call needs {dimension.Format(requested)}. Retry after {FormatDuration(retryAfter)} (at {charge.WindowEnd:u})."));
    }

    public static BudgetDenial GlobalStop(string scope, string reason) =>
        new(DenialKind.EmergencyStop, scope, null, null, 0, 0, 0, null,
            $"GuardedAI denied the call: every budget is under an emergency stop ({reason}). An operator must reset it.");

    public static BudgetDenial Breaker(CircuitBreaker breaker, TimeSpan? retryAfter, in UsageEstimate estimate)
    {
        if (breaker.State == CircuitBreakerState.EmergencyStopped)
        {
            return new BudgetDenial(DenialKind.EmergencyStop, breaker.Scope, null, null, 0, 0, 0, null,
                $"Budget '{breaker.Scope}' denied the call: it is under an emergency stop ({breaker.Reason}). An operator must reset it.");
        }
        // A breaker opened by a threshold names the limit that tripped it, as a window denial does.
        var trip = breaker.TripCause;
        var wait = FormatDuration(retryAfter ?? TimeSpan.Zero);
        var reason = trip is null
            ? $"Budget '{breaker.Scope}' denied the call: its circuit breaker is open ({breaker.Reason}). Retry after {wait}."
            : Invariant($"Budget '{breaker.Scope}' denied the call: the {trip.Window.Describe()} {trip.Dimension.Describe()} limit is {trip.Dimension.Format(trip.Limit)}, {trip.Dimension.Format(trip.Used)} is used, and the budget's circuit breaker is open until the window resets ({breaker.Reason}). Retry after {wait}.");
        return new BudgetDenial(DenialKind.BreakerOpen, breaker.Scope, trip?.Dimension, trip?.Window, trip?.Used ?? 0, trip?.Limit ?? 0,
            trip is null ? 0 : estimate.Amounts.Amount(trip.Dimension), retryAfter, reason);
    }

    public static BudgetDenial StoreUnavailable(string scope, string storeName, TimeSpan retryAfter) =>
        new(DenialKind.StoreUnavailable, scope, null, null, 0, 0, 0, retryAfter,
            $"GuardedAI denied the call: the budget store ({storeName}) is down (unreachable) and the engine fails closed. Calls resume when the store is back.");

    public static string FormatDuration(TimeSpan span)
    {
        if (span <= TimeSpan.Zero) return "0s";
        if (span.TotalDays >= 1) return Invariant($"{(int)span.TotalDays}d {span.Hours}h {span.Minutes}m");
        if (span.TotalHours >= 1) return Invariant($"{(int)span.TotalHours}h {span.Minutes}m {span.Seconds}s");
        if (span.TotalMinutes >= 1) return Invariant($"{(int)span.TotalMinutes}m {span.Seconds}s");
        return Invariant($"{Math.Ceiling(span.TotalSeconds)}s");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
