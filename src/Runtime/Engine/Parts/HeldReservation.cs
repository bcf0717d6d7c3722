namespace GuardedAI.Engine;

/// <summary>What an acquired lease holds in the engine: the reservation the store holds (this object, or a copy with
/// the fallback's smaller limits), the store that holds it and the breakers it entered. Settled once, through
/// <see cref="Settler"/>.</summary>
internal sealed class HeldReservation : CounterReservation, ILeaseSettlement
{
    private readonly Settler _settler;

    public HeldReservation(Settler settler, ReservationId key, ChargeSet set, in UsageAmounts reserved, DateTimeOffset expiresAt, BudgetPolicy? tenantPolicy)
        : base(key, set, reserved, expiresAt)
    {
        _settler = settler;
        TenantPolicy = tenantPolicy;
    }

    public BudgetPolicy? TenantPolicy { get; }

    /// <summary>The store that holds the reservation (the configured one or the fallback); set when reserved.</summary>
    public IBudgetCounterStore Holder { get; set; } = null!;

    /// <summary>The object the holder reserved: this one, or the fallback's copy with smaller limits.</summary>
    public CounterReservation StoreReservation { get; set; } = null!;

    public (CircuitBreaker Breaker, bool IsProbe)[] Breakers { get; set; } = [];

    /// <summary>The guarded call's span, ended at settlement (null when nobody listens).</summary>
    public System.Diagnostics.Activity? Activity { get; set; }

    /// <summary>The budget's shadow companion, when it is part of this reservation (it would have allowed the call).</summary>
    public BudgetPolicy? Companion { get; set; }

    /// <summary>What the scopes in shadow would have denied the call for; null when none would (see <see cref="ShadowReserver"/>).</summary>
    public BudgetDenial[]? WouldBeDenied { get; set; }

    /// <summary>Writes the shadow denials on the record's values.</summary>
    public void Annotate(ref UsageValues record)
    {
        if (WouldBeDenied is not { } denials) return;
        record.WouldBeDeniedBy = string.Join(",", denials.Select(d => d.Scope).Distinct());
        record.WouldBeDeniedReason = string.Join(" | ", denials.Select(d => d.Reason));
    }

    ReservationId ILeaseSettlement.Key => Key;

    public ValueTask<UsageRecord?> SettleAsync(BudgetLease lease, LeaseOutcome outcome, bool wantRecord) => _settler.SettleAsync(lease, this, outcome, wantRecord);
}
