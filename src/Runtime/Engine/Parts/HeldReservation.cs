using System.Diagnostics.CodeAnalysis;

namespace GuardedAI.Engine;

/// <summary>An acquired reservation as the engine holds it: the call it is for (budget, estimate, context, start), the
/// reservation the store holds (this object, or a copy with the fallback's smaller limits), the store that holds it and
/// the breakers it entered. Settled exactly once, through <see cref="Settler"/>.</summary>
/// <remarks>The guards work with this object alone: a guarded call allocates it and no <see cref="BudgetLease"/>. A
/// caller of <see cref="BudgetEngine.TryReserveAsync"/> gets a lease that wraps it and keeps its own copy of what it
/// shows, and settles through the lease; the lease lets go of this object when it settles, so it can be reused.</remarks>
internal sealed class HeldReservation : CounterReservation
{
    // One settled reservation per thread, kept for the thread's next call (see Recycle).
    [ThreadStatic] private static HeldReservation? t_spare;

    private Settler _settler;
    private int _settled;

    private HeldReservation(Settler settler, ReservationId key, ChargeSet set, BudgetPolicy policy, in UsageEstimate estimate, ReservationContext context,
        DateTimeOffset startedAt, DateTimeOffset expiresAt, BudgetPolicy? tenantPolicy)
        : base(key, set, estimate.Amounts, expiresAt) =>
        Begin(settler, policy, estimate, context, startedAt, tenantPolicy);

    /// <summary>A reservation for a call: this thread's spare one (<see cref="Recycle"/>) made new, or a new object.</summary>
    public static HeldReservation Create(Settler settler, ReservationId key, ChargeSet set, BudgetPolicy policy, in UsageEstimate estimate, ReservationContext context,
        DateTimeOffset startedAt, DateTimeOffset expiresAt, BudgetPolicy? tenantPolicy)
    {
        var spare = t_spare;
        if (spare is null) return new HeldReservation(settler, key, set, policy, estimate, context, startedAt, expiresAt, tenantPolicy);
        t_spare = null;
        spare.Initialize(key, set, estimate.Amounts, expiresAt);
        spare.Begin(settler, policy, estimate, context, startedAt, tenantPolicy);
        return spare;
    }

    /// <summary>Sets every field of the call as for a new reservation: the one place both a new object and a reused one
    /// get them.</summary>
    [MemberNotNull(nameof(_settler), nameof(Policy), nameof(Context), nameof(Operation), nameof(Holder), nameof(StoreReservation), nameof(Breakers))]
    private void Begin(Settler settler, BudgetPolicy policy, in UsageEstimate estimate, ReservationContext context, DateTimeOffset startedAt, BudgetPolicy? tenantPolicy)
    {
        _settler = settler;
        _settled = 0;
        Policy = policy;
        Estimate = estimate;
        Context = context;
        StartedAt = startedAt;
        TenantPolicy = tenantPolicy;
        Operation = "chat";
        ResponseModel = null;
        ErrorType = null;
        Holder = null!;
        StoreReservation = null!;
        Breakers = [];
        Activity = null;
        Companion = null;
        WouldBeDenied = null;
        KeepsSettlement = false;
        IsRecyclable = false;
    }

    /// <summary>Marks the reservation as one that only the engine and the guard or lease holding it refer to: the engine's
    /// own in-memory store holds it (the default; no other store, no fallback copy). Set by the reserver on the path it
    /// takes only for such a store. A <see cref="BudgetLease"/> reads nothing of it once it has claimed the settlement.</summary>
    public bool IsRecyclable { get; set; }

    /// <summary>
    /// Keeps a settled reservation for this thread's next call, so a guarded call leaves no object of the engine's on the
    /// heap (its 448 B were the call's one allocation). Called by a guard or a lease once its settlement has completed;
    /// does nothing for a reservation something else may still read (<see cref="IsRecyclable"/>).
    /// </summary>
    /// <remarks>Safe because, once settled, nothing refers to the object but the guard that calls this: the in-memory
    /// store unlinked it (a reclaim that got there first reads what it needs under its lock), the ledger, metrics, span
    /// and alerts took copies of its values, a guard never hands it to anyone, and a lease dropped its reference when it
    /// claimed the settlement.</remarks>
    public void Recycle()
    {
        if (!IsRecyclable || !IsSettled) return;
        IsRecyclable = false;
        // Nothing the call referred to stays reachable from the spare: not its context or span, and not the engine, which
        // a thread's spare would otherwise keep alive (with its ledger) after the engine was disposed.
        _settler = null!;
        Policy = null!;
        TenantPolicy = null;
        Companion = null;
        Context = null!;
        Activity = null;
        WouldBeDenied = null;
        if (KeepsSettlement) Settlement = default;
        Breakers = [];
        Holder = null!;
        StoreReservation = null!;
        // A conversation's or run's call built a set of its own; nothing reads it now, so the thread's next such call may fill it.
        Set.Return();
        ForgetCharges();
        t_spare = this;
    }

    /// <summary>This thread's spare reservation, for tests.</summary>
    internal static HeldReservation? Spare => t_spare;

    /// <summary>The budget the call was checked against.</summary>
    public BudgetPolicy Policy { get; private set; }

    /// <summary>What was reserved.</summary>
    public UsageEstimate Estimate { get; private set; }

    /// <summary>Tenant, provider and tags of the call.</summary>
    public ReservationContext Context { get; private set; }

    /// <summary>When the reservation was made.</summary>
    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>Telemetry the middleware adds before settling (metrics and the call's span): the operation
    /// (<c>chat</c>, <c>embeddings</c>), the model the response names, and the failure's exception type.</summary>
    public string Operation { get; set; }

    public string? ResponseModel { get; set; }

    public string? ErrorType { get; set; }

    /// <summary>The outcome of a provider failure with <paramref name="error"/>; its exception type is kept for the metrics and
    /// the span unless one was set already.</summary>
    public LeaseOutcome Failed(Exception error, TokenUsage consumed, bool reportedByProvider)
    {
        ErrorType ??= error.GetType().FullName;
        return LeaseOutcome.Failed(error, consumed, reportedByProvider);
    }

    /// <summary>Whether something has claimed the settlement.</summary>
    public bool IsSettled => Volatile.Read(ref _settled) != 0;

    /// <summary>Claims the one settlement: true for the first caller only.</summary>
    public bool TryClaim() => Interlocked.Exchange(ref _settled, 1) == 0;

    /// <summary>Settles a reservation the caller has claimed (<see cref="TryClaim"/>); what was counted is then
    /// <see cref="Settlement"/>.</summary>
    public ValueTask SettleClaimedAsync(LeaseOutcome outcome) => _settler.SettleAsync(this, outcome);

    /// <summary>Claims and settles, for a guard.</summary>
    /// <exception cref="InvalidOperationException">Already settled.</exception>
    public ValueTask SettleAsync(LeaseOutcome outcome) =>
        TryClaim() ? SettleClaimedAsync(outcome) : throw AlreadySettled(Id);

    /// <summary>Whether a <see cref="BudgetLease"/> wraps the reservation and reads <see cref="Settlement"/> (a guard does not,
    /// and its settlement skips writing it).</summary>
    public bool KeepsSettlement { get; set; }

    /// <summary>What the settlement counted, for the lease's holder (<see cref="KeepsSettlement"/>); set by the settler.</summary>
    public LeaseSettlement Settlement { get; set; }

    public static InvalidOperationException AlreadySettled(string id) => new($"Lease {id} is already settled; a lease settles exactly once.");

    public BudgetPolicy? TenantPolicy { get; private set; }

    /// <summary>The store that holds the reservation (the configured one or the fallback); set when reserved.</summary>
    public IBudgetCounterStore Holder { get; set; }

    /// <summary>The object the holder reserved: this one, or the fallback's copy with smaller limits.</summary>
    public CounterReservation StoreReservation { get; set; }

    public (CircuitBreaker Breaker, bool IsProbe)[] Breakers { get; set; }

    /// <summary>The guarded call's span, ended at settlement (null when nobody listens).</summary>
    public System.Diagnostics.Activity? Activity { get; set; }

    /// <summary>The budget's shadow companion, when it is part of this reservation (it would have allowed the call).</summary>
    public BudgetPolicy? Companion { get; set; }

    /// <summary>What the scopes in shadow would have denied the call for; null when none would (see <see cref="ShadowReserver"/>).</summary>
    public BudgetDenial[]? WouldBeDenied { get; set; }

    /// <summary>Writes the shadow denials on the record's values.</summary>
    public void Annotate(ref UsageValues record)
    {
        if (WouldBeDenied is { } denials) AnnotateDenials(ref record, denials);
    }

    // A method of its own: a ReadyToRun method that calls LINQ loads System.Linq when it is first called, and every
    // settlement calls Annotate; only a call with shadow denials needs this.
    private static void AnnotateDenials(ref UsageValues record, BudgetDenial[] denials)
    {
        record.WouldBeDeniedBy = string.Join(",", denials.Select(d => d.Scope).Distinct());
        record.WouldBeDeniedReason = string.Join(" | ", denials.Select(d => d.Reason));
    }
}
