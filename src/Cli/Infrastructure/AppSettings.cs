using Microsoft.Extensions.Configuration;

namespace GuardedAI.Cli.Infrastructure;

/// <summary>
/// The application's budgets, tenants and prices, read from the <c>GuardedAI</c> section of its settings file
/// (<c>--config appsettings.json</c>) with the same binding the application uses, so the tool judges usage against
/// the limits the engine enforces.
/// </summary>
internal sealed class AppSettings
{
    private AppSettings(IReadOnlyList<BudgetPolicy> budgets, IReadOnlyDictionary<string, BudgetPolicy> tenants, BudgetPolicy? defaultTenant, GuardedAIOptions options)
    {
        Budgets = budgets;
        Tenants = tenants;
        DefaultTenant = defaultTenant;
        Options = options;
    }

    public static AppSettings Empty { get; } = new([], new Dictionary<string, BudgetPolicy>(), null, new GuardedAIOptions());

    /// <summary>Budgets by name.</summary>
    public IReadOnlyList<BudgetPolicy> Budgets { get; }

    /// <summary>Tenant budgets by tenant id (their names are the tenant scopes, <c>tenant:ID</c>).</summary>
    public IReadOnlyDictionary<string, BudgetPolicy> Tenants { get; }

    /// <summary>The budget of a tenant without its own.</summary>
    public BudgetPolicy? DefaultTenant { get; }

    public GuardedAIOptions Options { get; }

    public bool HasBudgets => Budgets.Count > 0 || Tenants.Count > 0 || DefaultTenant is not null;

    /// <summary>The budget of <paramref name="tenant"/> (its own, else the default template), named for it.</summary>
    public BudgetPolicy? TenantPolicy(string tenant) =>
        Tenants.TryGetValue(tenant, out var own) ? own : DefaultTenant?.WithName(BudgetEngine.TenantScope(tenant));

    public static AppSettings Load(string? path)
    {
        if (path is null) return Empty;
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw CliException.Usage("--config", $"there is no settings file at '{full}'.");
        var options = new GuardedAIOptions();
        try
        {
            var configuration = new ConfigurationBuilder().AddJsonFile(full, optional: false, reloadOnChange: false).Build();
            var section = configuration.GetSection(GuardedAIOptions.SectionName);
            if (!section.Exists()) throw CliException.Usage("--config", $"'{full}' has no '{GuardedAIOptions.SectionName}' section.");
            // Sections of stores and other packages (GuardedAI:Sqlite, GuardedAI:Redis…) are not ours to read here.
            section.Bind(options);
            var budgets = options.Budgets.Select(b => b.Value.ToPolicy(b.Key)).ToList();
            var tenants = options.Tenants.ToDictionary(t => t.Key, t => t.Value.ToPolicy(BudgetEngine.TenantScope(t.Key)), StringComparer.Ordinal);
            var template = options.DefaultTenantBudget?.ToPolicy("tenant:*");
            return new AppSettings(budgets, tenants, template, options);
        }
        catch (CliException)
        {
            throw;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or BudgetPolicyException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw CliException.Usage("--config", $"'{full}' cannot be used: {ex.Message}");
        }
    }

    /// <summary>The prices the application's engine would use: the embedded table with the settings' price file, prices, aliases and unknown-model price.</summary>
    public PriceCatalog Prices(string? extraLiteLlmFile = null, string option = "--file")
    {
        var catalog = PriceCatalog.CreateDefault();
        try
        {
            if (!string.IsNullOrWhiteSpace(Options.PriceFile)) catalog.LoadLiteLlmFile(Options.PriceFile);
            foreach (var (model, price) in Options.Prices) catalog.Set(model, price.ToModelPrice());
            foreach (var (alias, model) in Options.ModelAliases) catalog.AddAlias(alias, model);
            if (Options.UnknownModelPrice is { } unknown) catalog.DefaultPrice = unknown.ToModelPrice();
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IOException or InvalidOperationException)
        {
            throw CliException.Usage("--config", $"the prices in the settings cannot be used: {ex.Message}");
        }
        if (extraLiteLlmFile is not null)
        {
            var full = Path.GetFullPath(extraLiteLlmFile);
            if (!File.Exists(full)) throw CliException.Usage(option, $"there is no price file at '{full}'.");
            try
            {
                catalog.LoadLiteLlmFile(full);
            }
            catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException or IOException or ArgumentException)
            {
                throw CliException.BadInput($"{option}: '{full}' is not a LiteLLM price file GuardedAI can read: {ex.Message}", ex);
            }
        }
        return catalog;
    }
}
