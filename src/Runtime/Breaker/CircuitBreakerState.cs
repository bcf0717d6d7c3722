namespace GuardedAI;

/// <summary>The state of a circuit breaker.</summary>
public enum CircuitBreakerState
{
    /// <summary>Calls flow.</summary>
    Closed,
    /// <summary>Calls are denied until <see cref="CircuitBreaker.OpenUntil"/>.</summary>
    Open,
    /// <summary>One probe call is let through; its success closes the breaker, its failure re-opens it.</summary>
    HalfOpen,
    /// <summary>Every call is denied until <see cref="CircuitBreaker.Reset"/>.</summary>
    EmergencyStopped,
}
