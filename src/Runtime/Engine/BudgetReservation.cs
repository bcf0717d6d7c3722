namespace GuardedAI;

/// <summary>
/// Budget held for one provider call between <see cref="BudgetEngine.ReserveAsync"/> and its settlement.
/// It is settled exactly once: by <see cref="BudgetEngine.CommitAsync"/>, by <see cref="BudgetEngine.ReleaseAsync"/>,
/// or — if the caller forgets both — by <see cref="DisposeAsync"/>; a reservation orphaned anyway (a crash) is
/// returned to the budget when its lease expires.
/// </summary>
public sealed class BudgetReservation : IAsyncDisposable
{
    private int _settled;

    internal BudgetReservation(
        BudgetEngine engine, string id, BudgetPolicy policy, BudgetPolicy? tenantPolicy, UsageEstimate estimate,
        ReservationContext context, IReadOnlyList<CounterCharge> charges, IBudgetCounterStore store,
        IReadOnlyList<(CircuitBreaker Breaker, bool IsProbe)> breakers, DateTimeOffset startedAt, DateTimeOffset expiresAt)
    {
        Engine = engine;
        Id = id;
        Policy = policy;
        TenantPolicy = tenantPolicy;
        Estimate = estimate;
        Context = context;
        Charges = charges;
        Store = store;
        Breakers = breakers;
        StartedAt = startedAt;
        LeaseExpiresAt = expiresAt;
    }

    /// <summary>A unique id, also the id of the call's usage record.</summary>
    public string Id { get; }

    /// <summary>The budget.</summary>
    public BudgetPolicy Policy { get; }

    /// <summary>The tenant's budget, if the call carried a tenant that has one.</summary>
    public BudgetPolicy? TenantPolicy { get; }

    /// <summary>What was reserved.</summary>
    public UsageEstimate Estimate { get; }

    /// <summary>Tenant, provider and tags of the call.</summary>
    public ReservationContext Context { get; }

    /// <summary>When the reservation was made.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>When an unsettled reservation is returned to the budget.</summary>
    public DateTimeOffset LeaseExpiresAt { get; }

    /// <summary>Whether it has been committed or released.</summary>
    public bool IsSettled => Volatile.Read(ref _settled) != 0;

    internal BudgetEngine Engine { get; }
    internal IReadOnlyList<CounterCharge> Charges { get; }
    internal IBudgetCounterStore Store { get; }
    internal IReadOnlyList<(CircuitBreaker Breaker, bool IsProbe)> Breakers { get; }

    /// <summary>Claims the one settlement; false if it was already settled.</summary>
    internal bool TrySettle() => Interlocked.Exchange(ref _settled, 1) == 0;

    /// <summary>Releases the reservation if nothing settled it (the request counts; no tokens are charged).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!IsSettled) await Engine.ReleaseAsync(this, UsageStatus.Cancelled, "the reservation was disposed without being committed").ConfigureAwait(false);
    }
}
