using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>Turns bound <see cref="GuardedAIOptions"/> into <see cref="BudgetEngineOptions"/>.</summary>
internal static class GuardedAIConfiguration
{
    /// <summary>Applies <paramref name="source"/> to <paramref name="target"/>.</summary>
    /// <exception cref="GuardedAIConfigurationException">A budget, price or setting is invalid; each problem is named with its configuration path.</exception>
    /// <exception cref="InvalidOperationException">Another setting is invalid; the message names it.</exception>
    public static void Apply(GuardedAIOptions source, BudgetEngineOptions target, IServiceProvider? services = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var errors = new List<ConfigurationError>();
        foreach (var policy in Budgets(source, errors)) target.Policies.Add(policy);
        foreach (var (tenant, budget) in source.Tenants)
        {
            if (Policy(budget, BudgetEngine.TenantScope(tenant), $"{Section}:Tenants:{tenant}", errors) is { } policy) target.TenantPolicies[tenant] = policy;
        }
        if (source.DefaultTenantBudget is { } template && Policy(template, "tenant:*", $"{Section}:DefaultTenantBudget", errors) is { } validated)
        {
            target.DefaultTenantPolicy = validated;
        }

        var prices = target.Prices ?? PriceCatalog.CreateDefault();
        if (!string.IsNullOrWhiteSpace(source.PriceFile))
        {
            if (!File.Exists(source.PriceFile)) errors.Add(new($"{Section}:PriceFile", $"names '{source.PriceFile}', which does not exist."));
            else
            {
                try { prices.LoadLiteLlmFile(source.PriceFile); }
                catch (FormatException ex) { errors.Add(new($"{Section}:PriceFile", $"cannot be loaded: {ex.Message}")); }
            }
        }
        foreach (var (model, price) in source.Prices)
        {
            if (CheckPrice(price, $"{Section}:Prices:{model}", errors)) prices.Set(model, price.ToModelPrice());
        }
        foreach (var (alias, model) in source.ModelAliases)
        {
            if (string.IsNullOrWhiteSpace(model)) errors.Add(new($"{Section}:ModelAliases:{alias}", "is empty; expected the model id the alias prices as."));
            else prices.AddAlias(alias, model);
        }
        if (source.UnknownModelPrice is { } unknown && CheckPrice(unknown, $"{Section}:UnknownModelPrice", errors)) prices.DefaultPrice = unknown.ToModelPrice();
        target.Prices = prices;

        Positive(source.ReservationLeaseSeconds, "ReservationLeaseSeconds", errors, seconds => target.ReservationLease = TimeSpan.FromSeconds(seconds));
        Positive(source.RequestTimeoutSeconds, "RequestTimeoutSeconds", errors, seconds => target.RequestTimeout = TimeSpan.FromSeconds(seconds));
        Positive(source.StreamIdleTimeoutSeconds, "StreamIdleTimeoutSeconds", errors, seconds => target.StreamIdleTimeout = TimeSpan.FromSeconds(seconds));
        Positive(source.MaxPromptCharacters, "MaxPromptCharacters", errors, max => target.MaxPromptCharacters = max);
        target.StoreFailureMode = source.StoreFailureMode;
        if (source.FallbackLimitFraction is { } fraction)
        {
            if (fraction is > 0 and <= 1) target.FallbackLimitFraction = fraction;
            else errors.Add(new($"{Section}:FallbackLimitFraction", $"is {fraction}; expected a number above 0 and at most 1."));
        }
        if (errors.Count > 0) throw new GuardedAIConfigurationException(errors);

        AlertConfiguration.Apply(source.Alerts, target);
        AlertConfiguration.ApplyHostPressure(source.HostPressure, target);
    }

    private const string Section = GuardedAIOptions.SectionName;

    /// <summary>The budgets of <c>Budgets</c>, each with its proposed companion from <c>ShadowBudgets</c>.</summary>
    internal static List<BudgetPolicy> Budgets(GuardedAIOptions source, List<ConfigurationError> errors)
    {
        var policies = new List<BudgetPolicy>();
        foreach (var (name, budget) in source.Budgets)
        {
            if (Policy(budget, name, $"{Section}:Budgets:{name}", errors) is not { } policy) continue;
            if (source.ShadowBudgets.TryGetValue(name, out var proposed))
            {
                var path = $"{Section}:ShadowBudgets:{name}";
                if (Policy(proposed, BudgetOptions.ShadowCompanionName(name), path, errors) is not { } companion) continue;
                try
                {
                    policy = policy.ToBuilder().WithShadowCompanion(companion).Build();
                }
                catch (BudgetPolicyException ex)
                {
                    errors.Add(new(path, $"is not a valid shadow budget: {ex.Problem}."));
                    continue;
                }
            }
            policies.Add(policy);
        }
        foreach (var name in source.ShadowBudgets.Keys.Where(n => !source.Budgets.ContainsKey(n)))
        {
            errors.Add(new($"{Section}:ShadowBudgets:{name}", $"names no budget: a shadow budget runs beside the budget of the same name under {Section}:Budgets (known: {string.Join(", ", source.Budgets.Keys)})."));
        }
        return policies;
    }

    internal static BudgetPolicy? Policy(BudgetOptions budget, string name, string path, List<ConfigurationError> errors)
    {
        try
        {
            return budget.ToPolicy(name);
        }
        catch (BudgetPolicyException ex)
        {
            errors.Add(new(path, $"is not a valid budget: {ex.Problem}."));
            return null;
        }
    }

    private static bool CheckPrice(PriceOptions price, string path, List<ConfigurationError> errors)
    {
        var before = errors.Count;
        void Check(decimal? amount, string key)
        {
            if (amount is < 0 or > GuardedAIConfigurationSchema.MaxPricePerMillion)
                errors.Add(new($"{path}:{key}", $"is {amount}; expected a price in US dollars per 1M tokens from 0 to {GuardedAIConfigurationSchema.MaxPricePerMillion:#,0}."));
        }
        Check(price.Input, "Input");
        Check(price.Output, "Output");
        Check(price.CachedInput, "CachedInput");
        Check(price.CacheWrite, "CacheWrite");
        Check(price.Reasoning, "Reasoning");
        return errors.Count == before;
    }

    private static void Positive(int? value, string key, List<ConfigurationError> errors, Action<int> apply)
    {
        if (value is not { } v) return;
        if (v > 0) apply(v);
        else errors.Add(new($"{Section}:{key}", $"is {v}; expected a whole number of at least 1."));
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
