using System.Runtime.CompilerServices;

namespace GuardedAI.Engine;

/// <summary>
/// The charge sets of tenants' calls, shared like a budget's own (<see cref="Charges.SetFor(BudgetPolicy, ReservationContext, DateTimeOffset)"/>): one per budget and
/// tenant for the current windows. A team that bills its customers makes every call for a tenant; building the tenant's
/// charges for each call, and having the store look each counter up by its key, cost more than the rest of the
/// reservation (docs/benchmarks-history.md, fifth round). Bounded (<see cref="BoundedCache{TKey, TValue}"/>, <see cref="Capacity"/>
/// sets), so a process that has served a million tenants holds the sets of the recent ones only.
/// </summary>
internal sealed class TenantChargeSets
{
    public const int Capacity = 8192;

    private readonly BoundedCache<Pair, ChargeSet> _sets = new(Capacity);

    /// <summary>The charges of a call of <paramref name="policy"/> for the tenant whose policy is <paramref name="tenantPolicy"/>.</summary>
    public ChargeSet SetFor(BudgetPolicy policy, BudgetPolicy tenantPolicy, ReservationContext context, DateTimeOffset at)
    {
        // A conversation's or run's counter is the call's own: nothing to share.
        if (Charges.ChargesScope(policy, context) || Charges.ChargesScope(tenantPolicy, context))
            return Charges.OwnedSet(policy, tenantPolicy, context, at);

        var key = new Pair(policy, tenantPolicy);
        if (_sets.TryGetValue(key, out var cached) && cached.IsValidAt(at)) return cached;
        var set = Charges.SharedSet(policy, tenantPolicy, context, at);
        _sets.Add(key, set, ChargeSet.Later);
        return set;
    }

    /// <summary>How many sets are held (tests).</summary>
    internal int Count => _sets.Count;

    /// <summary>A budget and a tenant's policy, compared by reference: a policy changed in place is a new object, and
    /// gets sets of its own.</summary>
    private readonly struct Pair(BudgetPolicy policy, BudgetPolicy tenant) : IEquatable<Pair>
    {
        private readonly BudgetPolicy _policy = policy;
        private readonly BudgetPolicy _tenant = tenant;

        public bool Equals(Pair other) => ReferenceEquals(_policy, other._policy) && ReferenceEquals(_tenant, other._tenant);

        public override bool Equals(object? obj) => obj is Pair other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(RuntimeHelpers.GetHashCode(_policy), RuntimeHelpers.GetHashCode(_tenant));
    }
}
