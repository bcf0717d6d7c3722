namespace GuardedAI;

/// <summary>What was wrong with the usage a call settled with.</summary>
public enum UsageAnomalyKind
{
    /// <summary>A count was negative; it counts as zero.</summary>
    NegativeCount,
    /// <summary>A count was above any plausible call (<see cref="ReportedUsageSanitizer.MaxPlausibleTokens"/>); it counts as that ceiling.</summary>
    ImplausibleCount,
    /// <summary>The reported total was not input + output; the larger reading counts.</summary>
    TotalMismatch,
    /// <summary>More cached (or cache-written) input than input; the input count is raised to match.</summary>
    CachedAboveInput,
    /// <summary>More reasoning than output; the output count is raised to match.</summary>
    ReasoningAboveOutput,
    /// <summary>Fewer output tokens than GuardedAI counted in the response; what was counted counts.</summary>
    BelowCountedOutput,
    /// <summary>The call used more than was reserved for it (tokens or cost); the usage counts in full.</summary>
    AboveReservation,
}

/// <summary>One thing GuardedAI corrected or noticed in a call's usage.</summary>
/// <param name="Kind">What.</param>
/// <param name="Description">A sentence naming the values, e.g. "input tokens reported as -50,000; counted as 0".</param>
public sealed record UsageAnomaly(UsageAnomalyKind Kind, string Description);
