using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>Turns bound <see cref="GuardedAIOptions"/> into <see cref="BudgetEngineOptions"/>.</summary>
internal static class GuardedAIConfiguration
{
    /// <summary>Applies <paramref name="source"/> to <paramref name="target"/>.</summary>
    /// <exception cref="BudgetPolicyException">A budget is invalid.</exception>
    /// <exception cref="InvalidOperationException">Another setting is invalid; the message names it.</exception>
    public static void Apply(GuardedAIOptions source, BudgetEngineOptions target, IServiceProvider? services = null)
    {
        foreach (var (name, budget) in source.Budgets) target.Policies.Add(budget.ToPolicy(name));
        foreach (var (tenant, budget) in source.Tenants) target.TenantPolicies[tenant] = budget.ToPolicy(BudgetEngine.TenantScope(tenant));
        if (source.DefaultTenantBudget is { } template)
        {
            target.DefaultTenantPolicy = template.ToPolicy("tenant:*");
        }

        var prices = target.Prices ?? PriceCatalog.CreateDefault();
        if (!string.IsNullOrWhiteSpace(source.PriceFile))
        {
            if (!File.Exists(source.PriceFile)) throw new InvalidOperationException($"GuardedAI:PriceFile '{source.PriceFile}' does not exist.");
            prices.LoadLiteLlmFile(source.PriceFile);
        }
        foreach (var (model, price) in source.Prices)
        {
            if (price.Input < 0 || price.Output < 0) throw new InvalidOperationException($"GuardedAI:Prices:{model} has a negative price.");
            prices.Set(model, price.ToModelPrice());
        }
        foreach (var (alias, model) in source.ModelAliases) prices.AddAlias(alias, model);
        if (source.UnknownModelPrice is { } unknown) prices.DefaultPrice = unknown.ToModelPrice();
        target.Prices = prices;

        if (source.ReservationLeaseSeconds is { } lease)
        {
            if (lease <= 0) throw new InvalidOperationException($"GuardedAI:ReservationLeaseSeconds must be positive, but is {lease}.");
            target.ReservationLease = TimeSpan.FromSeconds(lease);
        }
        if (source.MaxPromptCharacters is { } max)
        {
            if (max <= 0) throw new InvalidOperationException($"GuardedAI:MaxPromptCharacters must be positive, but is {max}.");
            target.MaxPromptCharacters = max;
        }
        target.StoreFailureMode = source.StoreFailureMode;
        if (source.FallbackLimitFraction is { } fraction)
        {
            if (fraction is <= 0 or > 1) throw new InvalidOperationException($"GuardedAI:FallbackLimitFraction must be in (0, 1], but is {fraction}.");
            target.FallbackLimitFraction = fraction;
        }
        AlertConfiguration.Apply(source.Alerts, target);
        AlertConfiguration.ApplyHostPressure(source.HostPressure, target);
    }

    /// <summary>Wraps the ledger the stores chose in the optional JSONL audit log (<c>GuardedAI:AuditLog</c>).</summary>
    public static void ApplyAuditLog(GuardedAIOptions source, BudgetEngineOptions target)
    {
        if (string.IsNullOrWhiteSpace(source.AuditLog.Directory)) return;
        var logger = target.LoggerFactory?.CreateLogger("GuardedAI.Ledger");
        var audit = new JsonlUsageLedger(source.AuditLog.Directory, source.AuditLog.FlushToDisk, logger);
        target.Ledger = new CompositeUsageLedger(target.Ledger ?? new InMemoryUsageLedger(), [audit], logger);
    }
}
