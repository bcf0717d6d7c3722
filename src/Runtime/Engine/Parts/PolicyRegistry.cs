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
