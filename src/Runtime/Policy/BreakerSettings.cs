namespace GuardedAI;

/// <summary>How a policy's circuit breaker behaves.</summary>
public sealed record BreakerSettings
{
    /// <summary>The defaults: open after 5 consecutive provider failures, for 1 minute; a budget trip opens it
    /// until the window that tripped it resets.</summary>
    public static BreakerSettings Default { get; } = new();

    /// <summary>Consecutive provider failures that open the breaker; 0 disables failure tripping.</summary>
    public int ConsecutiveFailuresToOpen { get; init; } = 5;

    /// <summary>How long the breaker stays open after failures before letting a probe through.</summary>
    public TimeSpan FailureOpenDuration { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether a provider's HTTP 429 opens the breaker at once (default true): for the provider's
    /// <c>retry-after</c> when it sent one (at most an hour), else for <see cref="FailureOpenDuration"/>. Calls meanwhile
    /// are denied locally instead of joining a retry storm the provider would bill or refuse.</summary>
    public bool OpenOnProviderRateLimit { get; init; } = true;

    /// <summary>Whether crossing the trip threshold opens the breaker (default true).</summary>
    public bool TripOnThreshold { get; init; } = true;
}
