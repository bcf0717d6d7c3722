namespace GuardedAI;

/// <summary>The <c>GuardedAI</c> configuration section. See <c>docs/configuration.md</c>.</summary>
public sealed class GuardedAIOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "GuardedAI";

    /// <summary>Budgets by name.</summary>
    public Dictionary<string, BudgetOptions> Budgets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Budgets of named tenants (customers), by tenant key.</summary>
    public Dictionary<string, BudgetOptions> Tenants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The budget every other tenant gets; null: other tenants are labelled, not limited.</summary>
    public BudgetOptions? DefaultTenantBudget { get; set; }

    /// <summary>Price overrides by model id, per 1M tokens.</summary>
    public Dictionary<string, PriceOptions> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Model aliases: alias → model id in the price table.</summary>
    public Dictionary<string, string> ModelAliases { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A LiteLLM <c>model_prices_and_context_window.json</c> file to load prices from.</summary>
    public string? PriceFile { get; set; }

    /// <summary>The price of models nobody priced (default $10 / $30 per 1M input/output tokens).</summary>
    public PriceOptions? UnknownModelPrice { get; set; }

    /// <summary>Seconds an unsettled reservation holds budget; unset: derived from each call (see <see cref="BudgetEngineOptions.ReservationLease"/>).</summary>
    public int? ReservationLeaseSeconds { get; set; }

    /// <summary>Seconds a provider request may take before it starts answering (default 100); leases are derived from it.</summary>
    public int? RequestTimeoutSeconds { get; set; }

    /// <summary>Seconds a stream may go unread before GuardedAI cuts it and settles what arrived (default 60).</summary>
    public int? StreamIdleTimeoutSeconds { get; set; }

    /// <summary>The largest prompt, in characters, GuardedAI will count (default 4,000,000).</summary>
    public int? MaxPromptCharacters { get; set; }

    /// <summary>What to do when the counter store is unreachable (default FailClosed).</summary>
    public StoreFailureMode StoreFailureMode { get; set; } = StoreFailureMode.FailClosed;

    /// <summary>Where alerts go.</summary>
    public AlertOptions Alerts { get; set; } = new();

    /// <summary>An optional JSONL audit log written next to the ledger.</summary>
    public AuditLogOptions AuditLog { get; set; } = new();

    /// <summary>With FailOpen, the fraction of each limit an instance may use locally while the store is down (default 1).</summary>
    public double? FallbackLimitFraction { get; set; }

    /// <summary>Optional host protection (CPU, memory, disk); off unless <c>Enabled</c>.</summary>
    public HostPressureOptions HostPressure { get; set; } = new();
}

/// <summary>The <c>GuardedAI:AuditLog</c> section.</summary>
public sealed class AuditLogOptions
{
    /// <summary>Directory of the monthly <c>usage_log_YYYY-MM.jsonl</c> files; unset: no audit log.</summary>
    public string? Directory { get; set; }
    /// <summary>Whether each line is flushed to disk before the append completes (default true).</summary>
    public bool FlushToDisk { get; set; } = true;
}

/// <summary>One budget in configuration. Absent numbers are "not set"; explicit limits override the tier's.</summary>
public sealed class BudgetOptions : CalendarLimitOptions
{
    /// <summary>Default model id.</summary>
    public string? Model { get; set; }
    /// <summary>Tier whose limits apply first.</summary>
    public BudgetTier Tier { get; set; }
    /// <summary>IANA or Windows time zone id for calendar windows (default UTC).</summary>
    public string? TimeZone { get; set; }
    /// <summary>Provider requests per conversation.</summary>
    public long? ConversationRequests { get; set; }
    /// <summary>Total tokens per conversation.</summary>
    public long? ConversationTokens { get; set; }
    /// <summary>Cost in USD per conversation.</summary>
    public decimal? ConversationCostUsd { get; set; }
    /// <summary>User turns (calls through UseRunBudget) per conversation.</summary>
    public long? ConversationTurns { get; set; }
    /// <summary>Provider requests per agent run (every request of one tool loop).</summary>
    public long? RunRequests { get; set; }
    /// <summary>Total tokens per agent run.</summary>
    public long? RunTokens { get; set; }
    /// <summary>Cost in USD per agent run.</summary>
    public decimal? RunCostUsd { get; set; }
    /// <summary>Minutes a conversation's or run's counters are kept after its last call (default 60).</summary>
    public int? ScopeIdleMinutes { get; set; }
    /// <summary>From the warning threshold on, the least number of milliseconds between two calls (throttling; unset: none).</summary>
    public int? ThrottleIntervalMs { get; set; }
    /// <summary>With throttling, how many calls may wait for their turn (default 16).</summary>
    public int? ThrottleQueueLimit { get; set; }
    /// <summary>From the critical threshold on, the model calls go to instead (unset: no downgrade).</summary>
    public string? DowngradeModel { get; set; }
    /// <summary>Per-request input cap.</summary>
    public int? MaxInputTokens { get; set; }
    /// <summary>Per-request output cap.</summary>
    public int? MaxOutputTokens { get; set; }
    /// <summary>Per-request cost cap in USD.</summary>
    public decimal? MaxRequestCostUsd { get; set; }
    /// <summary>Warning threshold percent (default 70).</summary>
    public double? WarnAtPercent { get; set; }
    /// <summary>Critical threshold percent (default 90).</summary>
    public double? CriticalAtPercent { get; set; }
    /// <summary>Trip threshold percent (default 95).</summary>
    public double? TripAtPercent { get; set; }
    /// <summary>Consecutive provider failures that open the breaker (default 5; 0 disables).</summary>
    public int? BreakerFailures { get; set; }
    /// <summary>Seconds the breaker stays open after failures (default 60).</summary>
    public int? BreakerOpenSeconds { get; set; }

    /// <summary>Whether a provider's HTTP 429 opens the breaker for its retry-after (default true).</summary>
    public bool? BreakerOpensOnRateLimit { get; set; }
    /// <summary>Further alert levels in percent of each limit (e.g. [50, 80]), beside warn, critical and trip.</summary>
    public double[]? AlertAtPercents { get; set; }
    /// <summary>Limits that only alert, with the same names as the hard ones (e.g. <c>DailyCostUsd</c>).</summary>
    public SoftLimitOptions? SoftLimits { get; set; }

    /// <summary>Builds the policy; throws <see cref="BudgetPolicyException"/> naming the budget and the bad value.</summary>
    public BudgetPolicy ToPolicy(string name)
    {
        var builder = BudgetPolicy.Create(name).ForModel(Model).WithTier(Tier);
        foreach (var (dimension, window, amount) in CalendarLimits()) builder.WithLimit(dimension, window, amount);
        Limit(builder, BudgetDimension.Requests, BudgetWindow.Conversation, ConversationRequests);
        Limit(builder, BudgetDimension.TotalTokens, BudgetWindow.Conversation, ConversationTokens);
        Limit(builder, BudgetDimension.CostUsd, BudgetWindow.Conversation, ConversationCostUsd);
        Limit(builder, BudgetDimension.Turns, BudgetWindow.Conversation, ConversationTurns);
        Limit(builder, BudgetDimension.Requests, BudgetWindow.Run, RunRequests);
        Limit(builder, BudgetDimension.TotalTokens, BudgetWindow.Run, RunTokens);
        Limit(builder, BudgetDimension.CostUsd, BudgetWindow.Run, RunCostUsd);
        if (ScopeIdleMinutes is { } idle) builder.WithScopeIdleTimeout(TimeSpan.FromMinutes(idle));
        if (ThrottleIntervalMs is { } spacing) builder.ThrottleAtWarning(TimeSpan.FromMilliseconds(spacing), ThrottleQueueLimit ?? DegradationSettings.None.ThrottleQueueLimit);
        if (!string.IsNullOrWhiteSpace(DowngradeModel)) builder.DowngradeAtCritical(DowngradeModel);
        if (MaxInputTokens is not null) builder.WithMaxInputTokens(MaxInputTokens);
        if (MaxOutputTokens is not null) builder.WithMaxOutputTokens(MaxOutputTokens);
        if (MaxRequestCostUsd is not null) builder.WithMaxRequestCostUsd(MaxRequestCostUsd);
        builder.WithThresholds(WarnAtPercent, CriticalAtPercent, TripAtPercent);
        if (BreakerFailures is not null || BreakerOpenSeconds is not null || BreakerOpensOnRateLimit is not null)
        {
            builder.WithBreaker(BreakerSettings.Default with
            {
                ConsecutiveFailuresToOpen = BreakerFailures ?? BreakerSettings.Default.ConsecutiveFailuresToOpen,
                FailureOpenDuration = BreakerOpenSeconds is { } s ? TimeSpan.FromSeconds(s) : BreakerSettings.Default.FailureOpenDuration,
                OpenOnProviderRateLimit = BreakerOpensOnRateLimit ?? BreakerSettings.Default.OpenOnProviderRateLimit,
            });
        }
        if (AlertAtPercents is { Length: > 0 } levels) builder.WithAlertLevels(levels);
        SoftLimits?.ApplyTo(builder);
        if (!string.IsNullOrWhiteSpace(TimeZone)) builder.InTimeZone(TimeZone);
        return builder.Build();
    }

    private static void Limit(BudgetPolicyBuilder builder, BudgetDimension dimension, BudgetWindow window, decimal? amount)
    {
        if (amount is { } value) builder.WithLimit(dimension, window, value);
    }
}

/// <summary>A price in configuration, USD per 1M tokens.</summary>
public sealed class PriceOptions
{
    /// <summary>Input.</summary>
    public decimal Input { get; set; }
    /// <summary>Output.</summary>
    public decimal Output { get; set; }
    /// <summary>Cached input (default: input).</summary>
    public decimal? CachedInput { get; set; }
    /// <summary>Cache write (default: input).</summary>
    public decimal? CacheWrite { get; set; }
    /// <summary>Reasoning (default: output).</summary>
    public decimal? Reasoning { get; set; }

    /// <summary>The catalogue form.</summary>
    public ModelPrice ToModelPrice() => new()
    {
        InputPerMillion = Input,
        OutputPerMillion = Output,
        CachedInputPerMillion = CachedInput,
        CacheWritePerMillion = CacheWrite,
        ReasoningPerMillion = Reasoning,
    };
}
