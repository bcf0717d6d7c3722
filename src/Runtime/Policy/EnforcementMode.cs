namespace GuardedAI;

/// <summary>Whether a budget stops the calls it would deny, or only records them (see <c>docs/rollout.md</c>).</summary>
public enum EnforcementMode
{
    /// <summary>A call the budget denies is not sent (the default).</summary>
    Enforce,

    /// <summary>The budget is evaluated exactly as if enforced — caps, breaker, every window limit, thresholds — but a
    /// call it would deny is let through and recorded as "would have been denied", with the reason. Its counters count
    /// only the calls it would have let through, so it denies later calls exactly as the enforced budget would.</summary>
    Shadow,
}
