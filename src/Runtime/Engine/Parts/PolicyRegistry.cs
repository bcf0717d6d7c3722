using System.Collections.Concurrent;

namespace GuardedAI.Engine;

/// <summary>
/// The budgets an engine knows: policies by name, tenant policies by tenant key, and the template a tenant without
/// its own policy gets. Lock-free reads on the call path.
/// </summary>
internal sealed class PolicyRegistry
{
    private readonly ConcurrentDictionary<string, BudgetPolicy> _policies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BudgetPolicy> _tenantPolicies = new(StringComparer.Ordinal);
    private readonly BudgetPolicy? _defaultTenantTemplate;

    public PolicyRegistry(IEnumerable<BudgetPolicy> policies, IEnumerable<KeyValuePair<string, BudgetPolicy>> tenantPolicies, BudgetPolicy? defaultTenantTemplate)
    {
        foreach (var policy in policies) Add(policy);
        foreach (var (tenant, policy) in tenantPolicies) SetTenant(tenant, policy);
        _defaultTenantTemplate = defaultTenantTemplate;
    }

    public IReadOnlyCollection<BudgetPolicy> Policies => (IReadOnlyCollection<BudgetPolicy>)_policies.Values;

    public void Add(BudgetPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policies[policy.Name] = policy;
    }

    /// <summary>
    /// The policy a call is decided with: <paramref name="policy"/>, unless a configuration reload replaced the budget of
    /// its name (its mode or its limits), then the reloaded one. One field read while nothing was reloaded.
    /// </summary>
    public BudgetPolicy Live(BudgetPolicy policy)
    {
        var reloaded = Volatile.Read(ref _reloaded);
        return reloaded is not null && reloaded.TryGetValue(policy.Name, out var live) ? live : policy;
    }

    /// <summary>Replaces budgets by name after a configuration reload: registered, and used by calls that hold the old object.</summary>
    public void Reload(IEnumerable<BudgetPolicy> policies)
    {
        lock (_reloadGate)
        {
            var next = new Dictionary<string, BudgetPolicy>(_reloaded ?? new Dictionary<string, BudgetPolicy>(StringComparer.Ordinal), StringComparer.Ordinal);
            foreach (var policy in policies)
            {
                _policies[policy.Name] = policy;
                next[policy.Name] = policy;
            }
            Volatile.Write(ref _reloaded, next);
        }
    }

    private readonly object _reloadGate = new();
    private Dictionary<string, BudgetPolicy>? _reloaded;

    public BudgetPolicy? Get(string name) => _policies.TryGetValue(name, out var policy) ? policy : null;

    public void SetTenant(string tenant, BudgetPolicy policy)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenant);
        ArgumentNullException.ThrowIfNull(policy);
        _tenantPolicies[tenant] = ForTenant(tenant, policy);
    }

    /// <summary>The tenant's own policy, else the default template named for it, else null (labelled, not limited).</summary>
    public BudgetPolicy? GetTenant(string tenant)
    {
        if (_tenantPolicies.TryGetValue(tenant, out var policy)) return policy;
        return _defaultTenantTemplate is { } template ? _tenantPolicies.GetOrAdd(tenant, static (t, p) => ForTenant(t, p), template) : null;
    }

    /// <summary>Every policy whose windows may hold spend: budgets, tenants seen so far and the default template.</summary>
    public IEnumerable<BudgetPolicy> AllKnown()
    {
        foreach (var policy in _policies.Values) yield return policy;
        foreach (var policy in _tenantPolicies.Values) yield return policy;
        if (_defaultTenantTemplate is { } template) yield return template;
    }

    public static string TenantScope(string tenant) => "tenant:" + tenant;

    private static BudgetPolicy ForTenant(string tenant, BudgetPolicy policy) =>
        policy.Name == TenantScope(tenant) ? policy : policy.WithName(TenantScope(tenant));
}
