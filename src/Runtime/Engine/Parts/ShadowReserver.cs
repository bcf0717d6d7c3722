namespace GuardedAI.Engine;

/// <summary>
/// The reservation of a call whose budget runs in shadow (<see cref="EnforcementMode.Shadow"/>), has a shadow companion,
/// or whose tenant's budget runs in shadow. Each scope is checked exactly as <see cref="Reserver"/> checks it — caps, then
/// breakers, then every window limit, all or none — but a scope in shadow that would deny is taken out of the call
/// instead of denying it: its denial is kept as "would have been denied", and the rest is reserved again without it.
/// A shadow scope's counters therefore count only the calls it would have let through, so it decides every later call
/// exactly as its enforced copy would. The budget and its tenant, when in shadow, form one hypothetical world, all or
/// none as an enforced call is: once either would deny, neither is charged, and only the first denial is kept (the one
/// an enforced engine would have given). A shadow companion is a world of its own (the proposal instead of the budget).
/// Enforced scopes count what really happened. A denial by an enforced scope denies the call as always; the shadow
/// findings of a call that did not happen are dropped, as an enforced copy would never have seen it.
/// </summary>
/// <remarks>Kept apart from <see cref="Reserver"/> so that the enforced hot path does not change: the reserver sends a call
/// here only when <see cref="BudgetPolicy.HasShadow"/> or the tenant's budget is in shadow.</remarks>
internal sealed class ShadowReserver
{
    private readonly EngineParts _parts;

    public ShadowReserver(EngineParts parts) => _parts = parts;

    public static bool Applies(BudgetPolicy policy, BudgetPolicy? tenantPolicy) =>
        policy.HasShadow || tenantPolicy?.Mode == EnforcementMode.Shadow;

    public async ValueTask<LeaseDecision> DecideAsync(BudgetPolicy policy, BudgetPolicy? tenantPolicy, UsageEstimate estimate, ReservationContext context,
        ReservationId id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var scopes = Scopes(policy, tenantPolicy);
        var findings = new List<BudgetDenial>(1);

        // 1. Per-request caps, in the enforced order (the budget, then the tenant), then the companion.
        foreach (var scope in scopes)
        {
            if (Denials.CheckCaps(scope.Policy, estimate) is not { } capDenial) continue;
            if (!scope.Shadow) return _parts.Reserver.Deny(capDenial, id, policy, estimate, context, now);
            if (!scope.Active) continue;
            findings.Add(capDenial);
            LeaveWorld(scopes, scope.World, entered: null);
        }

        // 2. Throttling slows calls down, which a budget in shadow must never do: only an enforced budget throttles.
        if (policy.Mode == EnforcementMode.Enforce && policy.Degradation.ThrottleInterval is { } interval
            && _parts.Thresholds.Levels.HighestPercent(policy, now) >= policy.Thresholds.WarnAtPercent)
        {
            var throttled = await _parts.Throttles.WaitAsync(policy, interval, cancellationToken).ConfigureAwait(false);
            if (throttled is not null) return _parts.Reserver.Deny(throttled, id, policy, estimate, context, _parts.Time.GetUtcNow());
            now = _parts.Time.GetUtcNow();
        }

        // 3. Breakers. An emergency stop is an operator's order and stops everything.
        if (_parts.Breakers.GlobalStopReason is { } stop) return _parts.Reserver.Deny(Denials.GlobalStop(policy.Name, stop), id, policy, estimate, context, now);
        var entered = new List<(CircuitBreaker Breaker, bool IsProbe)>(scopes.Length);
        foreach (var scope in scopes)
        {
            if (!scope.Active) continue;
            var breaker = _parts.Breakers.Get(scope.Policy.Name);
            if (breaker.TryEnter(out var isProbe, out var retryAfter))
            {
                entered.Add((breaker, isProbe));
                continue;
            }
            var breakerDenial = Denials.Breaker(breaker, retryAfter, estimate);
            if (!scope.Shadow)
            {
                Reserver.AbandonProbes(entered.ToArray());
                return _parts.Reserver.Deny(breakerDenial, id, policy, estimate, context, now);
            }
            findings.Add(breakerDenial);
            LeaveWorld(scopes, scope.World, entered);
        }

        // 4. Window limits, all or none; a shadow scope that does not fit leaves the call, and the rest is tried again.
        var clockRetries = 0;
        while (true)
        {
            var expiresAt = now + _parts.LeaseFor(estimate);
            var (charges, owners) = ChargesOf(scopes, estimate.Amounts, context, now);
            var held = HeldReservation.Create(_parts.Settler, id, ChargeSet.Owning(charges), policy, estimate, context, now, expiresAt, TenantOf(tenantPolicy, scopes));
            CounterReserveResult result;
            IBudgetCounterStore? holder;
            try
            {
                if (_parts.Store.TryReserveInMemory(held, now, out result)) holder = held.Holder;
                else (result, holder) = await _parts.Store.TryReserveAsync(held, now, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Reserver.AbandonProbes(entered.ToArray());
                throw;
            }
            // A shared store whose clock puts the call in other windows: count it in the store's windows, as Reserver does.
            if (holder is not null && !result.Success && result.StoreTime is { } storeTime)
            {
                if (++clockRetries <= MaxClockRetries)
                {
                    now = storeTime;
                    continue;
                }
                holder = null;
            }
            if (holder is null)
            {
                Reserver.AbandonProbes(entered.ToArray());
                return _parts.Reserver.Deny(Denials.StoreUnavailable(policy.Name, _parts.Store.Primary.GetType().Name, _parts.StoreRetryInterval), id, policy, estimate, context, now);
            }
            if (result.Success) return Acquire(policy, estimate, context, id, now, scopes, held, entered, findings);

            var failed = charges[result.FailedIndex];
            var owner = owners[result.FailedIndex];
            var limitDenial = Denials.WindowLimit(failed, result.FailedCurrent, estimate, now, owner.Policy.GetLimit(failed.Key.Dimension, failed.Key.Window));
            if (!owner.Shadow)
            {
                Reserver.AbandonProbes(entered.ToArray());
                return _parts.Reserver.Deny(limitDenial, id, policy, estimate, context, now);
            }
            findings.Add(limitDenial);
            LeaveWorld(scopes, owner.World, entered);
        }
    }

    private HeldReservation Acquire(BudgetPolicy policy, in UsageEstimate estimate, ReservationContext context, ReservationId id,
        DateTimeOffset now, Scope[] scopes, HeldReservation held,
        List<(CircuitBreaker Breaker, bool IsProbe)> entered, List<BudgetDenial> findings)
    {
        var companion = policy.ShadowCompanion is { } c && Array.Exists(scopes, s => ReferenceEquals(s.Policy, c) && s.Active) ? c : null;
        held.Breakers = entered.ToArray();
        held.Activity = CallTracing.Start(policy, estimate, context, now, id);
        held.Companion = companion;
        held.WouldBeDenied = findings.Count == 0 ? null : findings.ToArray();
        foreach (var finding in findings) Report(finding, policy.Name, now);
        _parts.Metrics.ReservationAcquired(policy.Name);
        return held;
    }

    /// <summary>The tenant's budget when it is still part of the call.</summary>
    private static BudgetPolicy? TenantOf(BudgetPolicy? tenantPolicy, Scope[] scopes) =>
        tenantPolicy is not null && Array.Exists(scopes, s => s.IsTenant && s.Active) ? tenantPolicy : null;

    /// <summary>
    /// The charges a recorded call made when it settled, for restoring counters from the ledger: its enforced scopes, the
    /// shadow world of the budget and tenant unless <see cref="UsageRecord.WouldBeDeniedBy"/> names one of them, and the
    /// companion unless it is named there.
    /// </summary>
    public static CounterCharge[] Settled(BudgetPolicy policy, BudgetPolicy? tenantPolicy, UsageRecord record, UsageAmounts amounts, ReservationContext context)
    {
        if (!Applies(policy, tenantPolicy)) return Charges.For(policy, tenantPolicy, amounts, context, record.Timestamp);
        var companion = policy.ShadowCompanion;
        bool shadowDenied = false, companionDenied = false;
        foreach (var scope in record.WouldBeDeniedBy?.Split(',') ?? [])
        {
            if (companion is not null && (scope == companion.Name || scope.StartsWith("conversation:" + companion.Name + ":", StringComparison.Ordinal)
                || scope.StartsWith("run:" + companion.Name + ":", StringComparison.Ordinal))) companionDenied = true;
            else shadowDenied = true;
        }
        var charges = new List<CounterCharge>();
        foreach (var scope in Scopes(policy, tenantPolicy))
        {
            if (scope.World == ShadowWorld && shadowDenied || scope.World == CompanionWorld && companionDenied) continue;
            charges.AddRange(Charges.For(scope.Policy, null, amounts, context, record.Timestamp));
        }
        return charges.ToArray();
    }

    /// <summary>Counts a shadow denial and alerts it once per (scope, limit, window).</summary>
    private void Report(BudgetDenial denial, string budget, DateTimeOffset now)
    {
        _parts.Metrics.WouldBeDenied(denial, budget);
        var limitName = denial.Window is { } window && denial.Dimension is { } dimension
            ? $"{window.Describe()} {dimension.Describe()} limit" : denial.Kind == DenialKind.RequestCap ? "per-request cap" : "circuit breaker";
        var alert = new BudgetAlert(AlertLevel.WouldBeDenied, denial.Scope, denial.Dimension, denial.Window, denial.Used, denial.Limit,
            denial.Limit > 0 ? (double)(denial.Used * 100 / denial.Limit) : 0,
            $"Budget '{denial.Scope}' runs in shadow and would have denied a call by its {limitName}; the call went ahead. {denial.Reason}", now)
        {
            WindowEnd = denial.RetryAt(now),
            Advice = $"Compare with `guardedai report` (would-be denials) before enforcing '{denial.Scope}'; raise the limit if these calls should pass.",
        };
        var key = $"shadow|{denial.Scope}|{denial.Kind}|{denial.Dimension}|{denial.Window}";
        _parts.Alerts.Publish(alert, denial.RetryAt(now) is { } end && denial.Window is { } w && !w.IsScope()
            ? AlertDedup.Windowed(key, end)
            : AlertDedup.Repeating(key));
    }

    private static Scope[] Scopes(BudgetPolicy policy, BudgetPolicy? tenantPolicy)
    {
        var count = 1 + (tenantPolicy is null ? 0 : 1) + (policy.ShadowCompanion is null ? 0 : 1);
        var scopes = new Scope[count];
        var i = 0;
        scopes[i++] = new Scope(policy, policy.Mode == EnforcementMode.Shadow ? ShadowWorld : RealWorld, false);
        if (tenantPolicy is not null) scopes[i++] = new Scope(tenantPolicy, tenantPolicy.Mode == EnforcementMode.Shadow ? ShadowWorld : RealWorld, true);
        if (policy.ShadowCompanion is { } companion) scopes[i] = new Scope(companion, CompanionWorld, false);
        return scopes;
    }

    private static (CounterCharge[] Charges, Scope[] Owners) ChargesOf(Scope[] scopes, UsageAmounts amounts, ReservationContext context, DateTimeOffset now)
    {
        var charges = new List<CounterCharge>();
        var owners = new List<Scope>();
        foreach (var scope in scopes)
        {
            if (!scope.Active) continue;
            foreach (var charge in Charges.For(scope.Policy, null, amounts, context, now))
            {
                charges.Add(charge);
                owners.Add(scope);
            }
        }
        return (charges.ToArray(), owners.ToArray());
    }

    /// <summary>Takes every scope of <paramref name="world"/> out of the call, and out of the breakers it entered.</summary>
    private static void LeaveWorld(Scope[] scopes, int world, List<(CircuitBreaker Breaker, bool IsProbe)>? entered)
    {
        foreach (var scope in scopes)
        {
            if (scope.World != world || !scope.Active) continue;
            scope.Active = false;
            var index = entered?.FindIndex(e => e.Breaker.Scope == scope.Policy.Name) ?? -1;
            if (index < 0) continue;
            if (entered![index].IsProbe) entered[index].Breaker.AbandonProbe();
            entered.RemoveAt(index);
        }
    }

    private const int RealWorld = 0, ShadowWorld = 1, CompanionWorld = 2;

    /// <summary>As <see cref="Reserver"/>: how often a reservation follows a shared store's clock before it counts as a store failure.</summary>
    private const int MaxClockRetries = 3;

    /// <summary>One scope of the call: the world it belongs to (real, the shadow world of the budget and its tenant, the
    /// companion's), and whether it is still part of the call.</summary>
    private sealed class Scope(BudgetPolicy policy, int world, bool isTenant)
    {
        public BudgetPolicy Policy { get; } = policy;
        public int World { get; } = world;
        public bool Shadow => World != RealWorld;
        public bool IsTenant { get; } = isTenant;
        public bool Active { get; set; } = true;
    }
}
