namespace GuardedAI;

/// <summary>
/// An operator's reset of one window's counters of a scope (reference 001's reset tool): usage recorded in that
/// window before <see cref="ResetAt"/> no longer counts against the window's limits. The records stay in the ledger —
/// a reset changes what a budget allows, never what was spent or billed.
/// </summary>
/// <param name="Scope">The budget name, or a tenant scope (<c>tenant:ID</c>).</param>
/// <param name="Window">The window reset.</param>
/// <param name="WindowStart">The start of the window instance reset (the window current at <paramref name="ResetAt"/>).</param>
/// <param name="ResetAt">When it was reset.</param>
/// <param name="Reason">Why, in the operator's words.</param>
public sealed record CounterReset(string Scope, BudgetWindow Window, DateTimeOffset WindowStart, DateTimeOffset ResetAt, string? Reason);

/// <summary>Where counter resets are kept so that counters restored at start honour them.</summary>
public interface ICounterResetStore
{
    /// <summary>Stores <paramref name="reset"/>.</summary>
    ValueTask SaveAsync(CounterReset reset, CancellationToken cancellationToken = default);

    /// <summary>The resets of window instances that start at or after <paramref name="windowsFrom"/>.</summary>
    ValueTask<IReadOnlyList<CounterReset>> LoadAsync(DateTimeOffset windowsFrom, CancellationToken cancellationToken = default);
}

/// <summary>Something an operator did to budgets by hand: a breaker tripped or reset, an emergency stop, a counter reset, an import.</summary>
/// <param name="Timestamp">When.</param>
/// <param name="Actor">Who (the operating-system user, or what the operator said).</param>
/// <param name="Action">What, e.g. <c>breaker.trip</c>.</param>
/// <param name="Scope">The budget or tenant scope acted on, if one.</param>
/// <param name="Detail">Reason and parameters, in words.</param>
public sealed record OperatorAction(DateTimeOffset Timestamp, string Actor, string Action, string? Scope, string? Detail);

/// <summary>The audit trail of operator actions.</summary>
public interface IOperatorAuditLog
{
    /// <summary>Appends <paramref name="action"/>.</summary>
    ValueTask AppendAsync(OperatorAction action, CancellationToken cancellationToken = default);

    /// <summary>The actions of <c>[from, to)</c>, oldest first.</summary>
    IAsyncEnumerable<OperatorAction> ReadAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);
}
