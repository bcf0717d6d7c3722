namespace GuardedAI.Engine;

/// <summary>
/// What the engine decided for a call: the reservation it holds, or the denied lease. The guards work with the
/// reservation itself, so a granted call allocates one object of the engine's; <see cref="BudgetEngine.TryReserveAsync"/>
/// wraps it in a <see cref="BudgetLease"/> for its callers.
/// </summary>
internal readonly struct LeaseDecision
{
    private LeaseDecision(HeldReservation? held, BudgetLease? denied)
    {
        Held = held;
        Denied = denied;
    }

    /// <summary>The reservation when the call was granted; null when denied.</summary>
    public HeldReservation? Held { get; }

    /// <summary>The denied lease (its <see cref="BudgetLease.Denial"/> says why); null when granted.</summary>
    public BudgetLease? Denied { get; }

    public static implicit operator LeaseDecision(HeldReservation held) => new(held, null);

    /// <summary>A denial: <paramref name="denied"/> is a lease that was not acquired.</summary>
    public static implicit operator LeaseDecision(BudgetLease denied) =>
        denied.IsAcquired ? throw new InvalidOperationException("An acquired lease is not a denial.") : new(null, denied);

    /// <summary>The lease a caller of the engine's public API settles.</summary>
    public BudgetLease ToLease() => Held is { } held ? BudgetLease.Acquired(held) : Denied!;

    /// <summary>The lease, without an asynchronous step when the decision is already made (in-memory counters).</summary>
    public static ValueTask<BudgetLease> ToLeaseAsync(ValueTask<LeaseDecision> deciding) =>
        deciding.IsCompletedSuccessfully ? new(deciding.Result.ToLease()) : LaterAsync(deciding);

    private static async ValueTask<BudgetLease> LaterAsync(ValueTask<LeaseDecision> deciding) => (await deciding.ConfigureAwait(false)).ToLease();
}
