namespace GuardedAI;

/// <summary>
/// Holds the budget counters and the reservations made against them. Implementations must make
/// <see cref="TryReserveAsync"/> atomic across all its charges — every counter is incremented or none is — and
/// must never let a reservation take a counter above its limit, whatever the concurrency. The in-memory store
/// does this with compare-and-swap; the Redis store with one Lua script.
/// </summary>
public interface IBudgetCounterStore
{
    /// <summary>Checks and increments every charge atomically, all or none, and records a lease for the reservation.</summary>
    /// <param name="reservationId">A unique id for the reservation.</param>
    /// <param name="charges">The counters to increment and their limits.</param>
    /// <param name="leaseExpiresAt">When an unsettled reservation is returned to the budget by <see cref="ReclaimExpiredAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<CounterReserveResult> TryReserveAsync(string reservationId, IReadOnlyList<CounterCharge> charges, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces a reservation's amounts with <paramref name="actual"/> (same counters, same order as reserved) and
    /// forgets the lease. Settling is unconditional: actual usage has happened and is always counted. If the lease
    /// was already reclaimed, the actual amounts are added in full. Returns the counters' values afterwards.
    /// </summary>
    ValueTask<IReadOnlyList<long>> SettleAsync(string reservationId, IReadOnlyList<CounterCharge> actual, CancellationToken cancellationToken = default);

    /// <summary>Returns every reservation whose lease expired before <paramref name="now"/> to its counters.</summary>
    /// <returns>How many reservations were reclaimed.</returns>
    ValueTask<int> ReclaimExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Reads the current values of <paramref name="keys"/> (0 for a counter never written).</summary>
    ValueTask<IReadOnlyList<long>> ReadAsync(IReadOnlyList<CounterKey> keys, CancellationToken cancellationToken = default);

    /// <summary>Adds <paramref name="charges"/> unconditionally, e.g. to restore counters from a ledger at start-up.</summary>
    ValueTask AddAsync(IReadOnlyList<CounterCharge> charges, CancellationToken cancellationToken = default);
}

/// <summary>The outcome of <see cref="IBudgetCounterStore.TryReserveAsync"/>.</summary>
/// <param name="Success">Whether every counter was incremented.</param>
/// <param name="FailedIndex">On failure, the index of the first charge that would have exceeded its limit.</param>
/// <param name="FailedCurrent">On failure, that counter's value (units) when it was checked.</param>
/// <param name="Values">On success, each counter's value after the increment.</param>
public readonly record struct CounterReserveResult(bool Success, int FailedIndex, long FailedCurrent, IReadOnlyList<long>? Values)
{
    /// <summary>A success with the counters' new values.</summary>
    public static CounterReserveResult Reserved(IReadOnlyList<long> values) => new(true, -1, 0, values);

    /// <summary>A denial naming the charge that did not fit.</summary>
    public static CounterReserveResult Denied(int index, long current) => new(false, index, current, null);
}
