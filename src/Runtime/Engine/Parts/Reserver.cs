namespace GuardedAI.Engine;

/// <summary>
/// Decides a reservation: per-request caps of each scope, then the breakers, then every window limit of the budget
/// and the tenant, incremented all or none in the counter store. A denial is a value and is recorded in the ledger.
/// </summary>
internal sealed class Reserver
{
    /// <summary>How often a reservation is retried in the windows of a shared store's clock before it counts as a store failure.</summary>
    private const int MaxClockRetries = 3;

    private readonly EngineParts _parts;
    private readonly TenantChargeSets _tenantSets = new();

    public Reserver(EngineParts parts) => _parts = parts;

    /// <summary>
    /// Decides a call at once when nothing on the way can wait — no host pressure, the engine's own in-memory store, no
    /// budget in shadow, no throttle due — and says false (deciding nothing) otherwise, for <see cref="DecideAsync"/>.
    /// </summary>
    /// <remarks>The default engine's path, with no asynchronous method: a <c>ValueTask</c> of the decision built by an
    /// async method is a dozen generic methods over GuardedAI's own struct that no ReadyToRun image holds, compiled just in
    /// time on a process's first call, and a state machine run on every call for nothing.</remarks>
    public bool TryDecideAtOnce(BudgetPolicy policy, in UsageEstimate estimate, ReservationContext context, out LeaseDecision decision)
    {
        decision = default;
        if (_parts.HostPressure is not null || !_parts.Store.IsInMemory) return false;
        var now = _parts.Time.GetUtcNow();
        var tenantPolicy = context.Tenant is { } tenant ? _parts.Policies.GetTenant(tenant) : null;
        policy = _parts.Policies.Live(policy);
        if (ShadowReserver.Applies(policy, tenantPolicy) || ThrottleDue(policy, now)) return false;
        var key = ReservationIds.Next(now);
        var denial = CheckCaps(policy, tenantPolicy, estimate);
        if (denial is not null)
        {
            decision = Deny(denial, key, policy, estimate, context, now);
            return true;
        }
        var breakers = EnterBreakers(policy, tenantPolicy, estimate, out denial);
        if (denial is not null)
        {
            decision = Deny(denial, key, policy, estimate, context, now);
            return true;
        }
        HeldReservation held;
        CounterReserveResult result;
        try
        {
            held = NewReservation(policy, tenantPolicy, estimate, context, key, now);
            _parts.Store.TryReserveInMemory(held, now, out result);
        }
        catch
        {
            AbandonProbes(breakers);
            throw;
        }
        decision = Decided(held, result, held.Holder, inMemory: true, breakers, policy, tenantPolicy, estimate, context, key, now);
        return true;
    }

    /// <summary>The lease of a call, as <see cref="BudgetEngine.TryReserveAsync"/> returns it: decided at once when nothing
    /// on the way can wait (<see cref="TryDecideAtOnce"/>), by <see cref="DecideAsync"/> otherwise.</summary>
    public ValueTask<BudgetLease> TryReserveAsync(BudgetPolicy policy, UsageEstimate estimate, ReservationContext context, CancellationToken cancellationToken) =>
        TryDecideAtOnce(policy, estimate, context, out var decision)
            ? new(decision.ToLease())
            : LeaseDecision.ToLeaseAsync(DecideAsync(policy, estimate, context, cancellationToken));

    /// <summary>Decides a call: the reservation held for it, or the denied lease.</summary>
    public async ValueTask<LeaseDecision> DecideAsync(BudgetPolicy policy, UsageEstimate estimate, ReservationContext context, CancellationToken cancellationToken)
    {
        // Host pressure (optional): a single field read, or a wait for a throttle slot, before anything is counted.
        var pressure = _parts.HostPressure is { } host ? await host.AdmitAsync(policy.Name, cancellationToken).ConfigureAwait(false) : null;
        var now = _parts.Time.GetUtcNow();
        var key = ReservationIds.Next(now);
        var tenantPolicy = context.Tenant is { } tenant ? _parts.Policies.GetTenant(tenant) : null;
        policy = _parts.Policies.Live(policy);
        if (pressure is null && ShadowReserver.Applies(policy, tenantPolicy))
            return await _parts.Shadow.DecideAsync(policy, tenantPolicy, estimate, context, key, now, cancellationToken).ConfigureAwait(false);

        var denial = pressure ?? CheckCaps(policy, tenantPolicy, estimate);
        if (denial is not null) return Deny(denial, key, policy, estimate, context, now);

        // Degradation: past the warning threshold, a throttled budget waits for its turn first.
        if (ThrottleDue(policy, now))
        {
            denial = await _parts.Throttles.WaitAsync(policy, policy.Degradation.ThrottleInterval!.Value, cancellationToken).ConfigureAwait(false);
            if (denial is not null) return Deny(denial, key, policy, estimate, context, _parts.Time.GetUtcNow());
            now = _parts.Time.GetUtcNow();
        }

        var breakers = EnterBreakers(policy, tenantPolicy, estimate, out denial);
        if (denial is not null) return Deny(denial, key, policy, estimate, context, now);

        HeldReservation held;
        CounterReserveResult result;
        IBudgetCounterStore? holder;
        var inMemory = false;
        var attempts = 0;
        try
        {
            while (true)
            {
                held = NewReservation(policy, tenantPolicy, estimate, context, key, now);
                if (inMemory = _parts.Store.TryReserveInMemory(held, now, out result)) holder = held.Holder;
                else (result, holder) = await _parts.Store.TryReserveAsync(held, now, cancellationToken).ConfigureAwait(false);
                // A shared store keeps one clock for every instance; when ours put the call in a window that store's
                // clock says is not the current one (a boundary between our reading and its), count it in the windows
                // of the store's time instead. Bounded: a store clock that keeps disagreeing is treated as a failure.
                if (holder is null || result.Success || result.StoreTime is not { } storeTime) break;
                if (++attempts > MaxClockRetries) { holder = null; break; }
                now = storeTime;
            }
        }
        catch
        {
            AbandonProbes(breakers);
            throw;
        }
        return Decided(held, result, holder, inMemory, breakers, policy, tenantPolicy, estimate, context, key, now);
    }

    /// <summary>The per-request caps of the budget, then of the tenant's: the first that <paramref name="estimate"/> exceeds.</summary>
    private static BudgetDenial? CheckCaps(BudgetPolicy policy, BudgetPolicy? tenantPolicy, in UsageEstimate estimate) =>
        Denials.CheckCaps(policy, estimate) ?? (tenantPolicy is null ? null : Denials.CheckCaps(tenantPolicy, estimate));

    /// <summary>Whether the budget degrades by throttling and is past its warning threshold, so a call waits for its turn first.</summary>
    private bool ThrottleDue(BudgetPolicy policy, DateTimeOffset now) =>
        policy.Degradation.ThrottleInterval is not null && _parts.Thresholds.Levels.HighestPercent(policy, now) >= policy.Thresholds.WarnAtPercent;

    private HeldReservation NewReservation(BudgetPolicy policy, BudgetPolicy? tenantPolicy, in UsageEstimate estimate, ReservationContext context, ReservationId key, DateTimeOffset now)
    {
        var set = tenantPolicy is null ? Charges.SetFor(policy, context, now) : _tenantSets.SetFor(policy, tenantPolicy, context, now);
        return HeldReservation.Create(_parts.Settler, key, set, policy, estimate, context, now, now + _parts.LeaseFor(estimate), tenantPolicy);
    }

    /// <summary>The decision once the store has answered: the reservation, or the denial of the store that failed or the
    /// limit that did not fit (the breakers' probes abandoned).</summary>
    private LeaseDecision Decided(HeldReservation held, in CounterReserveResult result, IBudgetCounterStore? holder, bool inMemory,
        (CircuitBreaker Breaker, bool IsProbe)[] breakers, BudgetPolicy policy, BudgetPolicy? tenantPolicy, in UsageEstimate estimate,
        ReservationContext context, ReservationId key, DateTimeOffset now)
    {
        if (holder is null || !result.Success)
        {
            AbandonProbes(breakers);
            BudgetDenial denial;
            if (holder is null)
            {
                denial = Denials.StoreUnavailable(policy.Name, _parts.Store.Primary.GetType().Name, _parts.StoreRetryInterval);
            }
            else
            {
                var failed = held[result.FailedIndex];
                denial = Denials.WindowLimit(failed, result.FailedCurrent, estimate, now,
                    PolicyOf(result.FailedIndex, policy, tenantPolicy, context).GetLimit(failed.Key.Dimension, failed.Key.Window));
            }
            return Deny(denial, key, policy, estimate, context, now);
        }

        held.Breakers = breakers;
        // Only the engine's own in-memory store refers to the object until it is settled: a guard may reuse it then.
        held.IsRecyclable = inMemory;
        held.Activity = CallTracing.Start(policy, estimate, context, now, key);
        _parts.Metrics.ReservationAcquired(policy.Name);
        return held;
    }

    /// <summary>A denial found before any counter is touched (e.g. a prompt too large to count).</summary>
    public BudgetLease Deny(BudgetDenial denial, BudgetPolicy policy, UsageEstimate estimate, ReservationContext context)
    {
        var now = _parts.Time.GetUtcNow();
        return Deny(denial, ReservationIds.Next(now), policy, estimate, context, now);
    }

    /// <summary>A denial of a call whose id the engine made: its text is written now, for the record and the span.</summary>
    internal BudgetLease Deny(BudgetDenial denial, ReservationId key, BudgetPolicy policy, UsageEstimate estimate, ReservationContext context, DateTimeOffset now)
    {
        return Deny(denial, key.ToString(), policy, estimate, context, now);
    }

    internal BudgetLease Deny(BudgetDenial denial, string id, BudgetPolicy policy, UsageEstimate estimate, ReservationContext context, DateTimeOffset now)
    {
        _parts.Recorder.RecordDenied(denial, id, policy, estimate, context, now, _parts.Pricing.Version);
        _parts.Metrics.Denied(denial, policy.Name);
        CallTracing.Denied(policy, estimate, context, now, id, denial);
        return BudgetLease.Denied(id, policy, estimate, context, now, denial);
    }

    private (CircuitBreaker Breaker, bool IsProbe)[] EnterBreakers(BudgetPolicy policy, BudgetPolicy? tenantPolicy, in UsageEstimate estimate, out BudgetDenial? denial)
    {
        denial = null;
        if (_parts.Breakers.GlobalStopReason is { } stop)
        {
            denial = Denials.GlobalStop(policy.Name, stop);
            return [];
        }
        if (tenantPolicy is null)
        {
            var alone = _parts.Breakers.Get(policy.Name);
            if (!alone.TryEnter(out var probe, out var wait))
            {
                denial = Denials.Breaker(alone, wait, estimate);
                return [];
            }
            return probe ? [(alone, true)] : alone.EnteredAlone;
        }
        var budget = _parts.Breakers.Get(policy.Name);
        if (!budget.TryEnter(out var budgetProbe, out var budgetWait))
        {
            denial = Denials.Breaker(budget, budgetWait, estimate);
            return [];
        }
        var tenant = _parts.Breakers.Get(tenantPolicy.Name);
        if (!tenant.TryEnter(out var tenantProbe, out var tenantWait))
        {
            if (budgetProbe) budget.AbandonProbe();
            denial = Denials.Breaker(tenant, tenantWait, estimate);
            return [];
        }
        return budgetProbe || tenantProbe ? [(budget, budgetProbe), (tenant, tenantProbe)] : tenant.EnteredAfter(budget);
    }

    /// <summary>The policy whose limit produced the charge at <paramref name="index"/>: the budget's charges come first.</summary>
    private static BudgetPolicy PolicyOf(int index, BudgetPolicy policy, BudgetPolicy? tenantPolicy, ReservationContext context) =>
        tenantPolicy is null || index < Charges.CountFor(policy, context) ? policy : tenantPolicy;

    internal static void AbandonProbes(ReadOnlySpan<(CircuitBreaker Breaker, bool IsProbe)> breakers)
    {
        foreach (var (breaker, isProbe) in breakers)
        {
            if (isProbe) breaker.AbandonProbe();
        }
    }
}
