using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace GuardedAI;

/// <summary>
/// Applies the budgets of a reloaded <c>GuardedAI</c> section to a running engine, without a restart: a budget's mode
/// (enforce or shadow), its limits and its shadow companion, and the tenants' budgets. The reloaded section is checked as
/// strictly as at start; a section with a problem is rejected as a whole and logged, and the budgets in force stay.
/// Everything else in the section (stores, alerts, prices) is read at start only. A reload the engine applied is handed
/// to the <see cref="ConfigurationAudit"/>, which records a <c>config.changed</c> entry when it changed a budget.
/// </summary>
internal sealed class BudgetConfigurationReload : IDisposable
{
    private readonly IConfigurationSection _section;
    private readonly BudgetEngine _engine;
    private readonly ConfigurationSchema _schema;
    private readonly ILogger _logger;
    private readonly ConfigurationAudit? _audit;
    private readonly IDisposable _subscription;

    public BudgetConfigurationReload(IConfigurationSection section, BudgetEngine engine, ConfigurationSchema schema, ILogger logger, ConfigurationAudit? audit = null)
    {
        _section = section;
        _engine = engine;
        _schema = schema;
        _logger = logger;
        _audit = audit;
        _subscription = ChangeToken.OnChange(section.GetReloadToken, () => Apply());
    }

    /// <summary>Reads the section again and applies its budgets; false (logged) when it was rejected.</summary>
    public bool Apply()
    {
        try
        {
            var errors = StrictConfigurationValidator.Validate(_section, _schema).ToList();
            var options = errors.Count == 0 ? _section.Get<GuardedAIOptions>() ?? new GuardedAIOptions() : null;
            var budgets = new List<BudgetPolicy>();
            var tenants = new List<(string Tenant, BudgetPolicy Policy)>();
            if (options is not null)
            {
                budgets.AddRange(GuardedAIConfiguration.Budgets(options, errors));
                foreach (var (tenant, budget) in options.Tenants)
                {
                    if (GuardedAIConfiguration.Policy(budget, BudgetEngine.TenantScope(tenant), $"GuardedAI:Tenants:{tenant}", errors) is { } policy) tenants.Add((tenant, policy));
                }
            }
            if (errors.Count > 0)
            {
                RolloutLog.ReloadRejected(_logger, string.Join(" ", errors.Select(e => e.ToString())));
                return false;
            }
            _engine.Parts.Policies.Reload(budgets);
            foreach (var (tenant, policy) in tenants) _engine.SetTenantPolicy(tenant, policy);
            _audit?.Reloaded(budgets, tenants);
            RolloutLog.Reloaded(_logger, budgets.Count, tenants.Count, budgets.Concat(tenants.Select(t => t.Policy)).Count(p => p.Mode == EnforcementMode.Shadow));
            return true;
        }
        catch (Exception ex)
        {
            RolloutLog.ReloadFailed(_logger, ex);
            return false;
        }
    }

    public void Dispose() => _subscription.Dispose();
}
