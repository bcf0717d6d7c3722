namespace GuardedAI.Engine;

/// <summary>
/// Names the limit behind a breaker that was opened by a trip threshold elsewhere — before a restart, or by another
/// instance sharing the breaker store — so its denials carry the dimension, window, usage and limit a fresh open
/// gives (<see cref="Denials.Breaker"/>). The store keeps only the breaker's reason, which names the limit in words
/// (<see cref="ThresholdMonitor"/> writes "daily requests reached 100% of the limit; trips at 95%"); the usage and
/// the limit are read from the counters and the policy now, after the counters are restored, and used only when
/// they show the trip.
/// </summary>
internal static class RestoredTripCauses
{
    /// <summary>Explains every open breaker that has a threshold reason and no cause; returns how many it explained.</summary>
    public static async ValueTask<int> ExplainAsync(EngineParts parts, CancellationToken cancellationToken)
    {
        var explained = 0;
        foreach (var breaker in parts.Breakers.All)
        {
            if (breaker.State is not (CircuitBreakerState.Open or CircuitBreakerState.HalfOpen) || breaker.TripCause is not null) continue;
            var reason = breaker.Reason;
            if (LimitNamedIn(reason) is not { } named || PolicyOf(parts, breaker.Scope) is not { } policy) continue;
            try
            {
                foreach (var usage in await UsageReader.ReadAsync(parts, policy, ReservationContext.Empty, cancellationToken).ConfigureAwait(false))
                {
                    if (usage.Limit.Window != named.Window || usage.Limit.Dimension != named.Dimension) continue;
                    // Counters that do not show the trip (another process's in-process counters, a reset since) would
                    // give numbers that contradict the breaker: then it denies with its reason in words only.
                    if (usage.Limit.Amount <= 0 || (double)(usage.Used / usage.Limit.Amount) * 100 < policy.Thresholds.TripAtPercent) break;
                    if (breaker.Explain(new BreakerTrip(named.Dimension, named.Window, usage.Used, usage.Limit.Amount), reason)) explained++;
                    break;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                // The counters cannot be read (a store that is down): the breaker denies as before, with its reason in words.
            }
        }
        return explained;
    }

    /// <summary>The window and dimension a threshold trip's reason names ("daily requests reached …"), or null.</summary>
    internal static (BudgetWindow Window, BudgetDimension Dimension)? LimitNamedIn(string? reason)
    {
        if (reason is null || !reason.Contains(" of the limit; trips at ", StringComparison.Ordinal)) return null;
        foreach (var window in Enum.GetValues<BudgetWindow>())
        {
            foreach (var dimension in Enum.GetValues<BudgetDimension>())
            {
                if (reason.StartsWith($"{window.Describe()} {dimension.Describe()} reached ", StringComparison.Ordinal)) return (window, dimension);
            }
        }
        return null;
    }

    private static BudgetPolicy? PolicyOf(EngineParts parts, string scope) =>
        scope.StartsWith("tenant:", StringComparison.Ordinal) ? parts.Policies.GetTenant(scope["tenant:".Length..]) : parts.Policies.Get(scope);
}
