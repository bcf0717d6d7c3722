using Microsoft.Extensions.Configuration;

namespace GuardedAI;

/// <summary>
/// The budgets a what-if replay tries on past calls: budgets by name (a recorded call is decided by the budget of its
/// name), tenants' budgets, and the budget every other tenant gets. Read one from a configuration file in the
/// <c>GuardedAI</c> section's format with <see cref="FromConfiguration"/>, or build it from policies in code.
/// </summary>
public sealed class WhatIfProposal
{
    /// <summary>A proposal of <paramref name="policies"/>, with optional tenant budgets.</summary>
    public WhatIfProposal(IEnumerable<BudgetPolicy> policies, IReadOnlyDictionary<string, BudgetPolicy>? tenantPolicies = null, BudgetPolicy? defaultTenantPolicy = null)
    {
        ArgumentNullException.ThrowIfNull(policies);
        Policies = policies.ToArray();
        if (Policies.Count == 0) throw new ArgumentException("A what-if proposal needs at least one budget.", nameof(policies));
        TenantPolicies = tenantPolicies ?? new Dictionary<string, BudgetPolicy>();
        DefaultTenantPolicy = defaultTenantPolicy;
    }

    /// <summary>The proposed budgets.</summary>
    public IReadOnlyList<BudgetPolicy> Policies { get; }

    /// <summary>The proposed tenant budgets, by tenant key.</summary>
    public IReadOnlyDictionary<string, BudgetPolicy> TenantPolicies { get; }

    /// <summary>The budget of tenants without their own.</summary>
    public BudgetPolicy? DefaultTenantPolicy { get; }

    /// <summary>Prices to charge replayed calls at (null: the embedded table), from the configuration's <c>Prices</c>.</summary>
    public PriceCatalog? Prices { get; init; }

    /// <summary>
    /// Reads the <c>Budgets</c>, <c>ShadowBudgets</c>, <c>Tenants</c>, <c>DefaultTenantBudget</c> and <c>Prices</c> of a
    /// <c>GuardedAI</c> section — <paramref name="configuration"/> is either the section or a root holding it — checked as
    /// strictly as at start-up. A budget's mode does not matter here: the replay decides every call as enforced.
    /// </summary>
    /// <exception cref="GuardedAIConfigurationException">A key or value is wrong; every problem is named by its path.</exception>
    public static WhatIfProposal FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration is IConfigurationSection { Key: GuardedAIOptions.SectionName } own ? own : configuration.GetSection(GuardedAIOptions.SectionName);
        var errors = StrictConfigurationValidator.Validate(section, GuardedAIConfigurationSchema.Create()).ToList();
        if (errors.Count > 0) throw new GuardedAIConfigurationException(errors);
        var options = section.Get<GuardedAIOptions>() ?? new GuardedAIOptions();
        var target = new BudgetEngineOptions();
        GuardedAIConfiguration.Apply(options, target);
        if (target.Policies.Count == 0)
            throw new GuardedAIConfigurationException([new ConfigurationError($"{GuardedAIOptions.SectionName}:Budgets", "is empty: a what-if proposal needs at least one budget, named like the budgets in the ledger.")]);
        return new WhatIfProposal(target.Policies, new Dictionary<string, BudgetPolicy>(target.TenantPolicies), target.DefaultTenantPolicy) { Prices = target.Prices };
    }
}
