namespace GuardedAI.Engine;

/// <summary>What an acquired lease holds in the engine: the charged counters, the store that holds them and the
/// breakers it entered. Settled once, through <see cref="Settler"/>.</summary>
internal sealed class HeldReservation : LeaseSettlement
{
    private readonly Settler _settler;

    public HeldReservation(Settler settler, BudgetPolicy? tenantPolicy, CounterCharge[] charges, IBudgetCounterStore holder, (CircuitBreaker Breaker, bool IsProbe)[] breakers)
    {
        _settler = settler;
        TenantPolicy = tenantPolicy;
        Charges = charges;
        Holder = holder;
        Breakers = breakers;
    }

    public BudgetPolicy? TenantPolicy { get; }
    public CounterCharge[] Charges { get; }
    public IBudgetCounterStore Holder { get; }
    public (CircuitBreaker Breaker, bool IsProbe)[] Breakers { get; }

    /// <summary>The guarded call's span, ended at settlement (null when nobody listens).</summary>
    public System.Diagnostics.Activity? Activity { get; set; }

    public override ValueTask<UsageRecord> SettleAsync(BudgetLease lease, LeaseOutcome outcome) => _settler.SettleAsync(lease, this, outcome);
}
