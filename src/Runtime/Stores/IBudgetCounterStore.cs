namespace GuardedAI;

/// <summary>
/// Holds the budget counters and the reservations made against them. Implementations must make
/// <see cref="TryReserveAsync"/> atomic across all its charges — every counter is incremented or none is — and
/// must never let a reservation take a counter above its limit, whatever the concurrency. The in-memory store
/// does this with compare-and-swap; the Redis store with one Lua script.
/// </summary>
public interface IBudgetCounterStore
{
    /// <summary>
    /// Checks and increments every charge of <paramref name="reservation"/> atomically, all or none, and holds the
    /// reservation until it is settled or expires (<see cref="CounterReservation.ExpiresAt"/>). On success the counters'
    /// new values are in <see cref="CounterReservation.Values"/>. The store may keep its bookkeeping on the reservation
    /// (<see cref="CounterReservation.StoreState"/>): the engine settles the same object.
    /// </summary>
    /// <exception cref="InvalidOperationException">The reservation is already held.</exception>
    ValueTask<CounterReserveResult> TryReserveAsync(CounterReservation reservation, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the reserved amounts of <paramref name="reservation"/> with its actual ones
    /// (<see cref="CounterReservation.ActualAmount"/>) and releases it; the counters' values afterwards are written to
    /// <see cref="CounterReservation.Values"/>. Settling is unconditional: actual usage has happened and is always
    /// counted. When the store holds nothing for the reservation — it was reclaimed, or it was never reserved here (a
    /// restore replaying the ledger, a tool's own cost) — the actual amounts are added in full; a shared store that
    /// remembers settlements by <see cref="CounterReservation.Id"/> (<see cref="CounterRestoreStrategy.ReplaySettlements"/>)
    /// counts an id once.
    /// </summary>
    ValueTask SettleAsync(CounterReservation reservation, CancellationToken cancellationToken = default);

    /// <summary>Returns every reservation whose lease expired before <paramref name="now"/> to its counters.</summary>
    /// <returns>How many reservations were reclaimed.</returns>
    ValueTask<int> ReclaimExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Reads the current values of <paramref name="keys"/> (0 for a counter never written).</summary>
    ValueTask<IReadOnlyList<long>> ReadAsync(IReadOnlyList<CounterKey> keys, CancellationToken cancellationToken = default);

    /// <summary>Adds <paramref name="charges"/> unconditionally, e.g. to restore counters from a ledger at start-up.</summary>
    ValueTask AddAsync(IReadOnlyList<CounterCharge> charges, CancellationToken cancellationToken = default);

    /// <summary>
    /// How <see cref="BudgetEngine.RestoreAsync"/> brings this store up to date with the ledger. An in-process store
    /// starts empty and gets the sum of the current windows' records (<see cref="CounterRestoreStrategy.SumLedger"/>);
    /// a shared store that outlives the process must not be added to again.
    /// </summary>
    CounterRestoreStrategy RestoreStrategy => CounterRestoreStrategy.SumLedger;

    /// <summary>For <see cref="CounterRestoreStrategy.ReplaySettlements"/>: how far back settlements are remembered, and so replayed.</summary>
    TimeSpan ReplayHorizon => TimeSpan.Zero;
}

/// <summary>How counters are restored from the ledger when an engine starts.</summary>
public enum CounterRestoreStrategy
{
    /// <summary>The store starts empty: add the ledger's totals of every current window.</summary>
    SumLedger,

    /// <summary>
    /// The store is shared and outlives the process, and <see cref="IBudgetCounterStore.SettleAsync"/> is idempotent
    /// per reservation id within <see cref="IBudgetCounterStore.ReplayHorizon"/>: settle every recent record again, so a
    /// record whose settlement a crash interrupted is counted once and the others are not counted twice.
    /// </summary>
    ReplaySettlements,

    /// <summary>Nothing to restore.</summary>
    None,
}

/// <summary>The outcome of <see cref="IBudgetCounterStore.TryReserveAsync"/>.</summary>
/// <param name="Success">Whether every counter was incremented.</param>
/// <param name="FailedIndex">On failure, the index of the first charge that would have exceeded its limit.</param>
/// <param name="FailedCurrent">On failure, that counter's value (units) when it was checked.</param>
/// <remarks>On success the counters' new values are on the reservation (<see cref="CounterReservation.Values"/>).</remarks>
public readonly record struct CounterReserveResult(bool Success, int FailedIndex, long FailedCurrent)
{
    /// <summary>A success: every counter was incremented.</summary>
    public static CounterReserveResult Reserved() => new(true, -1, 0);

    /// <summary>A denial naming the charge that did not fit.</summary>
    public static CounterReserveResult Denied(int index, long current) => new(false, index, current);

    /// <summary>
    /// Nothing was reserved because, by the store's own clock (<paramref name="storeTime"/>), the moment is outside a
    /// charged calendar window: the caller's clock disagrees with the one clock a shared store keeps for every instance.
    /// The engine computes the windows again at <paramref name="storeTime"/> and retries.
    /// </summary>
    public static CounterReserveResult OutsideWindow(DateTimeOffset storeTime) => new(false, -1, 0) { StoreTime = storeTime };

    /// <summary>For <see cref="OutsideWindow"/>: the store's time when it refused; otherwise null.</summary>
    public DateTimeOffset? StoreTime { get; init; }
}
