namespace GuardedAI;

/// <summary>
/// The description of the <c>GuardedAI</c> configuration section that <see cref="StrictConfigurationValidator"/>
/// checks before binding: every key <see cref="GuardedAIOptions"/> binds, what it accepts, and the sections packages
/// registered (<see cref="GuardedAIConfigurationSection"/>). docs/configuration.md is the same table in prose.
/// </summary>
public static class GuardedAIConfigurationSchema
{
    /// <summary>The largest cost amount a budget can hold: counters keep nano-dollars in 64 bits (about $9.2 billion).</summary>
    public const decimal MaxCostUsd = 9_000_000_000m;

    /// <summary>The largest price, in US dollars per 1M tokens, a price table accepts.</summary>
    public const decimal MaxPricePerMillion = 1_000_000_000m;

    /// <summary>The schema of the <c>GuardedAI</c> section, with <paramref name="sections"/> added (or replacing built-in ones of the same key).</summary>
    public static ConfigurationSchema Create(IEnumerable<GuardedAIConfigurationSection>? sections = null)
    {
        var root = new ConfigurationSchema("the GuardedAI section")
            .Map("Budgets", Budget("a budget"), BudgetName)
            .Map("Tenants", Budget("a tenant's budget"), BudgetName)
            .Section("DefaultTenantBudget", Budget("the default tenant budget"))
            .Map("Prices", Price("a model price"), ModelId)
            .ValueMap("ModelAliases", ModelId)
            .Value("PriceFile", ConfigurationValue.Text)
            .Section("UnknownModelPrice", Price("the unknown-model price"))
            .Value("ReservationLeaseSeconds", ConfigurationValue.Integer(1, 7 * 24 * 3600))
            .Value("RequestTimeoutSeconds", ConfigurationValue.Integer(1, 24 * 3600))
            .Value("StreamIdleTimeoutSeconds", ConfigurationValue.Integer(1, 24 * 3600))
            .Value("MaxPromptCharacters", ConfigurationValue.Integer(1, int.MaxValue))
            .Value("StoreFailureMode", ConfigurationValue.OneOf<StoreFailureMode>("a store failure mode").NonEmpty)
            .Value("FallbackLimitFraction", ConfigurationValue.Number(0, 1))
            .Section("Alerts", CoreAlerts())
            .Section("HostPressure", new ConfigurationSchema("the host pressure section")
                .Value("Enabled", ConfigurationValue.Boolean.NonEmpty)
                .Value("SampleIntervalSeconds", ConfigurationValue.Number(0, 3600))
                .Value("CpuPercent", ConfigurationValue.Number(0, 100))
                .Value("MemoryPercent", ConfigurationValue.Number(0, 100))
                .Value("DiskPercent", ConfigurationValue.Number(0, 100))
                .Value("DiskPath", ConfigurationValue.Text)
                .Value("Action", ConfigurationValue.OneOf<HostPressureAction>("a host pressure action").NonEmpty)
                .Value("ThrottleIntervalMs", ConfigurationValue.Integer(1, 3_600_000))
                .Value("MaxThrottleWaitMs", ConfigurationValue.Integer(0, 3_600_000)))
            .Section("AuditLog", new ConfigurationSchema("the audit log section")
                .Value("Directory", ConfigurationValue.Text)
                .Value("FlushToDisk", ConfigurationValue.Boolean.NonEmpty));
        foreach (var section in sections ?? [])
        {
            // A package that extends a built-in section (the alert channels under Alerts) opens it; one that brings its
            // own section (a store's) describes it.
            if (section.Schema is null) (root.NestedSection(section.Key) ?? AddOpen(root, section.Key)).Open();
            else root.Remove(section.Key).Section(section.Key, section.Schema);
        }
        return root;
    }

    private static ConfigurationSchema AddOpen(ConfigurationSchema root, string key)
    {
        var open = new ConfigurationSchema($"the {key} section").Open();
        root.Section(key, open);
        return open;
    }

    /// <summary>The keys of <c>GuardedAI:Alerts</c> the core reads; the channels are the GuardedAI.Alerts package's.</summary>
    public static ConfigurationSchema CoreAlerts() => new ConfigurationSchema("the alerts section")
        .Value("Log", ConfigurationValue.Boolean.NonEmpty)
        .Value("RepeatIntervalMinutes", ConfigurationValue.Integer(int.MinValue, int.MaxValue))
        // Routes name levels and channels; AlertConfiguration checks both against what exists, naming the path.
        .Section("Routes", new ConfigurationSchema("the alert routes").Open())
        .Section("Digest", new ConfigurationSchema("the digest section")
            .Value("IntervalMinutes", ConfigurationValue.Integer(int.MinValue, int.MaxValue))
            .List("Levels", ConfigurationValue.Text))
        .Value("ProjectExceedance", ConfigurationValue.Boolean.NonEmpty)
        .Section("Anomaly", new ConfigurationSchema("the anomaly section")
            .Value("Enabled", ConfigurationValue.Boolean.NonEmpty)
            .Value("Factor", ConfigurationValue.Number(1, 1000))
            .Value("BaselineHours", ConfigurationValue.Integer(1, 24 * 31))
            .Value("MinimumBaselineHours", ConfigurationValue.Integer(1, 24 * 31))
            .Value("MinimumSpendUsd", ConfigurationValue.Decimal(0, minInclusive: true, MaxCostUsd)))
        .Value("SendTimeoutSeconds", ConfigurationValue.Integer(1, 3600));

    private static readonly ConfigurationValue BudgetName = ConfigurationValue.Custom("a non-blank budget name", name => name.Trim().Length > 0);
    private static readonly ConfigurationValue ModelId = ConfigurationValue.Custom("a model id", id => id.Trim().Length > 0);

    private static ConfigurationSchema Budget(string noun)
    {
        var tokens = ConfigurationValue.Integer(1, long.MaxValue);
        var cost = ConfigurationValue.Decimal(0, minInclusive: false, MaxCostUsd);
        var percent = ConfigurationValue.Number(0, 100);
        return Limits(new ConfigurationSchema(noun)
                .Value("Model", ModelId)
                .Value("Tier", ConfigurationValue.OneOf<BudgetTier>("a tier").NonEmpty)
                .Value("TimeZone", ConfigurationValue.TimeZoneId), tokens, cost)
            .Value("ConversationRequests", tokens)
            .Value("ConversationTokens", tokens)
            .Value("ConversationCostUsd", cost)
            .Value("ConversationTurns", tokens)
            .Value("RunRequests", tokens)
            .Value("RunTokens", tokens)
            .Value("RunCostUsd", cost)
            .Value("ScopeIdleMinutes", ConfigurationValue.Integer(1, 30 * 24 * 60))
            .Value("ThrottleIntervalMs", ConfigurationValue.Integer(1, 3_600_000))
            .Value("ThrottleQueueLimit", ConfigurationValue.Integer(0, 100_000))
            .Value("DowngradeModel", ModelId)
            .Value("MaxInputTokens", ConfigurationValue.Integer(1, int.MaxValue))
            .Value("MaxOutputTokens", ConfigurationValue.Integer(1, int.MaxValue))
            .Value("MaxRequestCostUsd", cost)
            .Value("WarnAtPercent", percent)
            .Value("CriticalAtPercent", percent)
            .Value("TripAtPercent", percent)
            .Value("BreakerFailures", ConfigurationValue.Integer(0, int.MaxValue))
            .Value("BreakerOpenSeconds", ConfigurationValue.Integer(1, 30 * 24 * 3600))
            .Value("BreakerOpensOnRateLimit", ConfigurationValue.Boolean)
            .List("AlertAtPercents", percent)
            .Section("SoftLimits", Limits(new ConfigurationSchema("the soft limits of " + noun), tokens, cost));
    }

    /// <summary>The window limit keys (RequestsPerMinute … MonthlyCostUsd), shared by hard and soft limits.</summary>
    private static ConfigurationSchema Limits(ConfigurationSchema schema, ConfigurationValue tokens, ConfigurationValue cost) => schema
        .Value("RequestsPerMinute", tokens)
        .Value("TokensPerMinute", tokens)
        .Value("HourlyRequests", tokens)
        .Value("HourlyTokens", tokens)
        .Value("HourlyCostUsd", cost)
        .Value("DailyRequests", tokens)
        .Value("DailyTokens", tokens)
        .Value("DailyCostUsd", cost)
        .Value("MonthlyRequests", tokens)
        .Value("MonthlyTokens", tokens)
        .Value("MonthlyCostUsd", cost);

    private static ConfigurationSchema Price(string noun)
    {
        var perMillion = ConfigurationValue.Decimal(0, minInclusive: true, MaxPricePerMillion);
        return new ConfigurationSchema(noun)
            .Value("Input", perMillion, required: true)
            .Value("Output", perMillion, required: true)
            .Value("CachedInput", perMillion)
            .Value("CacheWrite", perMillion)
            .Value("Reasoning", perMillion);
    }
}

/// <summary>
/// A section of <c>GuardedAI</c> that a package owns (a store's settings, say), registered with
/// <see cref="GuardedAIServiceCollectionExtensions.AddConfigurationSection"/>: start-up checks it as strictly
/// as the built-in ones.
/// </summary>
/// <param name="Key">The key under <c>GuardedAI</c>, e.g. <c>Postgres</c>.</param>
/// <param name="Schema">What the section may hold; null: the package reads and checks the section itself (it stays open).</param>
public sealed record GuardedAIConfigurationSection(string Key, ConfigurationSchema? Schema);

