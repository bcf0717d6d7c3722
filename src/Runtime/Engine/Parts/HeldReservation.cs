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

    /// <summary>The budget's shadow companion, when it is part of this reservation (it would have allowed the call).</summary>
    public BudgetPolicy? Companion { get; init; }

    /// <summary>What the scopes in shadow would have denied the call for; null when none would (see <see cref="ShadowReserver"/>).</summary>
    public BudgetDenial[]? WouldBeDenied { get; init; }

    /// <summary>The policy of a charged scope: the tenant's, the companion's, else the budget's.</summary>
    public BudgetPolicy PolicyOf(string scope, BudgetPolicy budget) =>
        TenantPolicy is not null && scope == TenantPolicy.Name ? TenantPolicy
        : Companion is not null && scope == Companion.Name ? Companion
        : budget;

    /// <summary>The record with the shadow denials written on it.</summary>
    public UsageRecord Annotate(UsageRecord record) => WouldBeDenied is not { } denials ? record : record with
    {
        WouldBeDeniedBy = string.Join(",", denials.Select(d => d.Scope).Distinct()),
        WouldBeDeniedReason = string.Join(" | ", denials.Select(d => d.Reason)),
    };

    public override ValueTask<UsageRecord> SettleAsync(BudgetLease lease, LeaseOutcome outcome) => _settler.SettleAsync(lease, this, outcome);
}
