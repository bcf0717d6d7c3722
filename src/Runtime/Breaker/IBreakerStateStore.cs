namespace GuardedAI;

/// <summary>
/// The persisted state of one circuit breaker. <see cref="Scope"/> is the budget scope, or
/// <see cref="GlobalScope"/> for an emergency stop of every scope.
/// </summary>
/// <param name="Scope">The scope.</param>
/// <param name="State">Closed, open or emergency-stopped (half-open is never stored: it is open with its time up).</param>
/// <param name="OpenUntil">Until when an open breaker stays open.</param>
/// <param name="Reason">Why it opened.</param>
/// <param name="UpdatedAt">When the change was made; the latest change wins.</param>
public sealed record BreakerSnapshot(string Scope, CircuitBreakerState State, DateTimeOffset OpenUntil, string? Reason, DateTimeOffset UpdatedAt)
{
    /// <summary>The scope name under which a global emergency stop is stored.</summary>
    public const string GlobalScope = "*";
}

/// <summary>
/// Where circuit breaker state is kept so that it survives restarts (SQLite) and is shared by instances (Redis).
/// The engine loads it at start, saves every change off the call path, and re-reads it periodically.
/// </summary>
public interface IBreakerStateStore
{
    /// <summary>Every stored breaker state.</summary>
    ValueTask<IReadOnlyList<BreakerSnapshot>> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="snapshot"/> unless a later change of the same scope is already stored.</summary>
    ValueTask SaveAsync(BreakerSnapshot snapshot, CancellationToken cancellationToken = default);
}
