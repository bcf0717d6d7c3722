namespace GuardedAI;

/// <summary>
/// How a budget slows down before its hard limit (reference design: "gradual slowdown before hard limits"). Each step
/// starts at a threshold of <see cref="BudgetPolicy.Thresholds"/>, measured on the budget's calendar limits:
/// <list type="bullet">
/// <item>at the warning threshold, calls are spaced at least <see cref="ThrottleInterval"/> apart (queued, up to
/// <see cref="ThrottleQueueLimit"/> waiting; beyond that denied);</item>
/// <item>at the critical threshold, calls that name another model go to <see cref="DowngradeModel"/> instead, and their
/// usage record says so;</item>
/// <item>at the trip threshold, calls are denied (the breaker opens; see <see cref="BreakerSettings.TripOnThreshold"/>).</item>
/// </list>
/// </summary>
public sealed record DegradationSettings
{
    /// <summary>No degradation: calls run at full speed on their own model until the trip threshold.</summary>
    public static DegradationSettings None { get; } = new();

    /// <summary>From the warning threshold on, the least time between two calls of the budget; null: no throttling.</summary>
    public TimeSpan? ThrottleInterval { get; init; }

    /// <summary>How many calls may wait for their turn while throttled (default 16); one more is denied.</summary>
    public int ThrottleQueueLimit { get; init; } = 16;

    /// <summary>From the critical threshold on, the model calls go to; null: no downgrade.</summary>
    public string? DowngradeModel { get; init; }

    internal void Validate(string budget)
    {
        if (ThrottleInterval is { } interval && interval <= TimeSpan.Zero)
            throw new BudgetPolicyException(budget, $"the throttle interval must be positive, but is {interval}");
        if (ThrottleQueueLimit < 0)
            throw new BudgetPolicyException(budget, $"the throttle queue limit must not be negative, but is {ThrottleQueueLimit}");
        if (DowngradeModel is not null && string.IsNullOrWhiteSpace(DowngradeModel))
            throw new BudgetPolicyException(budget, "the downgrade model must name a model");
    }
}
